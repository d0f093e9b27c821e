package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resident memory stays flat over 300 training steps after a 100-step warm-up (checkpoints included). Runs in a child JVM whose Java heap is
 * fixed and pre-touched, so any VmRSS growth is native memory that a step failed to release.
 */
class ResidentMemoryTest {
  static final int WARMUP = 100;
  static final int STEPS = WARMUP + 300;

  @Test
  void vmRssIsFlatOver300Steps(@TempDir Path tmp) throws Exception {
    List<String> cmd = ChildJvm.command(List.of("-Xms96m", "-Xmx96m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"),
        RssRun.class, tmp.toString(), String.valueOf(STEPS));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("MALLOC_ARENA_MAX", "2");
    Process p = pb.start();
    List<long[]> samples = new ArrayList<>();
    StringBuilder all = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
      for (String line; (line = r.readLine()) != null; ) {
        all.append(line).append('\n');
        if (line.startsWith("RSS ")) {
          String[] f = line.split(" ");
          samples.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
        }
      }
    }
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(all.toString()).isZero();
    assertThat(samples).hasSize(STEPS / 50);
    System.err.println("VmRSS (step, KiB): " + samples.stream().map(s -> s[0] + ":" + s[1]).toList());
    // after a warm-up (JIT, allocator arenas) compare step 100 with step 400
    long growth = samples.get(samples.size() - 1)[1] - samples.get(WARMUP / 50 - 1)[1];
    // one leaked gradient-sized array (512 KiB) per step would add 150 MiB over these 300 steps
    assertThat(growth).as("VmRSS growth over 300 steps, KiB").isLessThan(32 * 1024);
  }
}
