package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.FakeOpenAiServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code zephyr aif} in a child JVM, SIGKILLs it midway, reruns it, and checks that nothing was lost, nothing
 * duplicated, and no call the first run had completed was sent to the server again.
 */
@Timeout(180)
class AifKillTest {
  @TempDir Path dir;

  @Test
  void sigkillMidwayThenRerunLosesNothingDuplicatesNothingAndRepaysNothing() throws Exception {
    int prompts = 40;
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      server.responder(FakeOpenAiServer::ratingOrAnswer).latencyMillis(25);
      Path cfg = AifCommandTest.setUp(dir, server.baseUrl(), prompts, "");
      Path out = dir.resolve("out");

      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          "dev.zephyr.cli.ZephyrCli", "aif", "--config", cfg.toString(), "--no-progress")
          .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile());
      Process child = pb.start();
      int total = prompts * 8;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (server.answeredKeys().size() < total * 2 / 5 && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(child.isAlive()).as("child still working when killed; log: %s",
          Files.exists(dir.resolve("child.log")) ? Files.readString(dir.resolve("child.log")) : "").isTrue();
      child.destroyForcibly();  // SIGKILL on Unix
      assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).isNotZero();

      Set<String> completedBeforeKill = cacheKeys(out.resolve("cache").resolve("responses.jsonl"));
      int ratedBeforeKill = lines(out.resolve("ratings.jsonl"));
      assertThat(completedBeforeKill).isNotEmpty().hasSizeLessThan(total);
      assertThat(ratedBeforeKill).isLessThan(prompts);
      Map<String, Integer> answeredFirstRun = server.answeredByKey();

      server.resetCounts();
      AifCommandTest.Run rerun = AifCommandTest.run("aif", "--config", cfg.toString(), "--no-progress");
      assertThat(rerun.code()).as(rerun.err()).isZero();

      // no call that had completed (is in the cache) was asked for again
      Set<String> askedAgain = new HashSet<>(server.attemptsByKey().keySet());
      askedAgain.retainAll(completedBeforeKill);
      assertThat(askedAgain).isEmpty();
      // calls answered by the server but lost with the process are at most those in flight (3 endpoints x 4)
      Set<String> repaid = new HashSet<>(server.answeredByKey().keySet());
      repaid.retainAll(answeredFirstRun.keySet());
      assertThat(repaid.size()).isLessThanOrEqualTo(12);
      // every call was made, exactly once in total where it completed
      assertThat(cacheKeys(out.resolve("cache").resolve("responses.jsonl"))).hasSize(total);

      // zero lost, zero duplicated
      for (String file : List.of("completions.jsonl", "ratings.jsonl")) {
        List<String> ids = AifCommandTest.column(out.resolve(file), "prompt_id");
        assertThat(ids).as(file).hasSize(prompts).doesNotHaveDuplicates();
      }
      assertThat(AifCommandTest.column(out.resolve("preferences.jsonl"), "prompt_id"))
          .hasSize(prompts).doesNotHaveDuplicates();
    }
  }

  private static Set<String> cacheKeys(Path file) throws Exception {
    Set<String> keys = new HashSet<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.endsWith("}")) {
        try {
          JsonNode n = Json.mapper().readTree(line);
          keys.add(n.get("key").asText());
        } catch (Exception tornLine) {
          // the last line may be torn by the kill: that call had not completed
        }
      }
    }
    return keys;
  }

  private static int lines(Path file) throws Exception {
    return Files.exists(file) ? (int) Files.readAllLines(file).stream().filter(l -> l.endsWith("}")).count() : 0;
  }
}
