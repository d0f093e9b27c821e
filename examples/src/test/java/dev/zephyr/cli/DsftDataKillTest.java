package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs {@code zephyr dsft-data} in a child JVM against the loopback fake server, SIGKILLs it midway, reruns it, and
 * checks that the result is byte-identical to an uninterrupted run and that no call finished before the kill was
 * sent again.
 */
@Timeout(180)
class DsftDataKillTest {
  @TempDir Path dir;

  private static final String[] VOCAB = ("apple river castle engine planet violin garden winter rocket bridge "
      + "candle desert forest harbor island jungle kettle ladder marble needle ocean pencil quartz saddle tunnel")
      .split(" ");

  static String respond(String model, dev.zephyr.core.chat.ChatRequest req) {
    String last = req.messages().get(req.messages().size() - 1).content();
    if (last.endsWith("\n9.")) {
      Random rng = new Random(req.params().seed());
      StringBuilder sb = new StringBuilder();
      for (int k = 0; k < 2; k++) {
        sb.append(k == 0 ? " " : "\n10. ").append("Describe");
        for (int w = 0; w < 6; w++) {
          sb.append(' ').append(VOCAB[rng.nextInt(VOCAB.length)]);
        }
        sb.append('.');
      }
      return sb.toString();
    }
    return model.equals("user-model") ? "Tell me more about point " + Math.floorMod(req.params().seed(), 97) + "."
        : "An answer (" + Math.floorMod(req.params().seed(), 1000) + ") to: " + last;
  }

  private Path config(String baseUrl, String outDir) throws Exception {
    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      seeds.add("{\"id\": \"q" + i + "\", \"question\": \"What is fact number " + i + " about the ocean?\"}");
    }
    Files.write(dir.resolve("seeds.jsonl"), seeds);
    Path yaml = dir.resolve(outDir + ".yaml");
    Files.writeString(yaml, """
        output_dir: %3$s
        seed: 11
        teacher: {name: teacher, base_url: "%1$s", model: teacher-model, max_concurrency: 4, max_retries: 2,
                  retry_backoff_ms: 5}
        user_simulator: {name: user, base_url: "%1$s", model: user-model, max_concurrency: 4, max_retries: 2,
                         retry_backoff_ms: 5}
        self_instruct: {seed_tasks: %2$s, num_instructions: 12, batch_size: 4}
        self_chat: {seeds: seeds.jsonl, min_turns: 2, max_turns: 3, batch_size: 4}
        """.formatted(baseUrl, TestData.path("self_instruct", "seed_tasks.jsonl"), outDir));
    return yaml;
  }

  @Test
  void sigkillMidwayThenRerunGivesTheUninterruptedBytesAndRepaysNothing() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      server.responder(DsftDataKillTest::respond).latencyMillis(20);
      // uninterrupted reference run, in process
      Path refYaml = config(server.baseUrl(), "ref");
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      PrintStream ps = new PrintStream(sink, true, StandardCharsets.UTF_8);
      assertThat(new CommandLine(new DsftDataCommand(null, ps, ps)).execute("--config", refYaml.toString()))
          .as(sink.toString(StandardCharsets.UTF_8)).isZero();
      int totalCalls = server.answeredKeys().size();
      server.resetCounts();

      Path yaml = config(server.baseUrl(), "out");
      Process child = child(yaml, "first.log").start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (server.answeredKeys().size() < totalCalls / 2 && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(child.isAlive()).as("child still working when killed; log: %s",
          Files.readString(dir.resolve("first.log"))).isTrue();
      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
      Set<String> cachedBeforeKill = cacheKeys(dir.resolve("out/cache/responses.jsonl"));
      assertThat(cachedBeforeKill).isNotEmpty().hasSizeLessThan(totalCalls);
      assertThat(dir.resolve("out/train_sft.jsonl")).doesNotExist();

      server.resetCounts();
      Process rerun = child(yaml, "rerun.log").start();
      assertThat(rerun.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(rerun.exitValue()).as(Files.readString(dir.resolve("rerun.log"))).isZero();

      Set<String> askedAgain = new HashSet<>(server.attemptsByKey().keySet());
      askedAgain.retainAll(cachedBeforeKill);
      assertThat(askedAgain).isEmpty();
      for (String f : List.of("train_sft.jsonl", "self_chat.jsonl", "self_instruct/machine_instructions.jsonl",
          "self_instruct/answers.jsonl")) {
        assertThat(Files.readAllBytes(dir.resolve("out").resolve(f))).as(f)
            .isEqualTo(Files.readAllBytes(dir.resolve("ref").resolve(f)));
      }
    }
  }

  private ProcessBuilder child(Path cfg, String log) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.zephyr.cli.ZephyrCli",
        "dsft-data", "--config", cfg.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile());
  }

  private static Set<String> cacheKeys(Path file) throws Exception {
    Set<String> keys = new HashSet<>();
    if (!Files.exists(file)) {
      return keys;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      try {
        JsonNode n = Json.mapper().readTree(line);
        keys.add(n.get("key").asText());
      } catch (Exception tornLine) {
        // a line torn by the kill: that call had not completed
      }
    }
    return keys;
  }
}
