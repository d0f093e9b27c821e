package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A training process killed with SIGKILL and resumed ends with the same weights, bit for bit, as an unbroken run. */
class ResumeAfterKillTest {
  static final int STEPS = 30;

  private static Process start(Path out, long sleepMs, Path log) throws Exception {
    return ChildJvm.start(log, ToyRun.class, out.toString(), String.valueOf(STEPS), "5", String.valueOf(sleepMs));
  }

  @Test
  void killedRunResumesToTheSameFinalWeights(@TempDir Path tmp) throws Exception {
    Path straight = tmp.resolve("straight");
    Process a = start(straight, 0, tmp.resolve("a.log"));
    assertThat(a.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(a.exitValue()).as(Files.readString(tmp.resolve("a.log"))).isZero();

    Path broken = tmp.resolve("broken");
    Process b = start(broken, 150, tmp.resolve("b.log"));
    long deadline = System.currentTimeMillis() + 120_000;
    while (!Files.exists(broken.resolve("checkpoint-10")) && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(broken.resolve("checkpoint-10")).exists();
    b.destroyForcibly(); // SIGKILL on Linux
    assertThat(b.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(broken.resolve("final.safetensors")).doesNotExist();
    assertThat(broken.resolve("checkpoint-" + STEPS)).doesNotExist();

    Process c = start(broken, 0, tmp.resolve("c.log"));
    assertThat(c.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(c.exitValue()).as(Files.readString(tmp.resolve("c.log"))).isZero();

    byte[] expected = Files.readAllBytes(straight.resolve("final.safetensors"));
    byte[] actual = Files.readAllBytes(broken.resolve("final.safetensors"));
    assertThat(actual).isEqualTo(expected);

    // the resumed metrics file reads as one run: same steps and the same losses
    List<JsonNode> m1 = Jsonl.readAll(straight.resolve("metrics.jsonl"));
    List<JsonNode> m2 = Jsonl.readAll(broken.resolve("metrics.jsonl"));
    assertThat(m2).hasSize(STEPS);
    for (int i = 0; i < STEPS; i++) {
      assertThat(m2.get(i).get("step").asLong()).isEqualTo(i + 1);
      assertThat(m2.get(i).get("loss").asDouble()).isEqualTo(m1.get(i).get("loss").asDouble());
    }
    // save_total_limit 2 keeps the last two checkpoints
    try (var s = Files.list(broken)) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint-")).sorted())
          .containsExactly("checkpoint-25", "checkpoint-30");
    }
  }
}
