package dev.zephyr.train.optim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.train.loop.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An optimizer step (clipping plus update) holds only slice-sized temporaries: measured as the peak resident size
 * above the resident size before the step, in a child JVM with a fixed pre-touched heap, where glibc maps every
 * allocation over 128 KiB on its own so that freed native memory leaves the resident set at once. Keeping every
 * temporary until the step ends, as zephyr did before, costs five parameter-sized arrays per parameter (80 MiB here
 * for 16 MiB of parameters).
 */
class StepMemoryTest {

  private static long[] measure(String optim) throws Exception {
    List<String> cmd = ChildJvm.command(List.of("-Xms64m", "-Xmx64m", "-XX:MaxDirectMemorySize=1g",
        "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"),
        StepMemoryRun.class, optim);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("MALLOC_ARENA_MAX", "2");
    pb.environment().put("MALLOC_MMAP_THRESHOLD_", "131072");
    Process p = pb.start();
    StringBuilder all = new StringBuilder();
    long[] out = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
      for (String line; (line = r.readLine()) != null; ) {
        all.append(line).append('\n');
        if (line.startsWith("TRANSIENT_KB ")) {
          String[] f = line.split(" ");
          out = new long[] {Long.parseLong(f[1]), Long.parseLong(f[3])};
        }
      }
    }
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(all.toString()).isZero();
    assertThat(out).as(all.toString()).isNotNull();
    System.err.println(optim + " step transient: " + out[0] + " KiB for " + out[1] + " KiB of parameters");
    return out;
  }

  @Test
  void adamWStepNeedsAFewSlicesNotCopiesOfTheParameters() throws Exception {
    long[] kb = measure("adamw_torch");
    // two 1 MiB slice temporaries at a time; 4 MiB leaves room for allocator and JIT noise
    assertThat(kb[0]).as("transient KiB of an AdamW step over %d KiB of parameters", kb[1]).isLessThan(4 * 1024);
  }

  @Test
  void rmsPropStepNeedsAFewSlicesNotCopiesOfTheParameters() throws Exception {
    long[] kb = measure("rmsprop");
    // three slices with weight decay
    assertThat(kb[0]).as("transient KiB of an RMSprop step over %d KiB of parameters", kb[1]).isLessThan(5 * 1024);
  }

  @Test
  void adafactorStepNeedsAboutTwoArraysOfOneParameter() throws Exception {
    long[] kb = measure("adafactor");
    // updated whole: the update and one product of the largest parameter (4 MiB each)
    assertThat(kb[0]).as("transient KiB of an Adafactor step over %d KiB of parameters", kb[1])
        .isLessThan(10 * 1024);
  }
}
