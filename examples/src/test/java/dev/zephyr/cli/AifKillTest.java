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
      // every provider authenticates with a key that only the child's environment holds
      Files.writeString(cfg, Files.readString(cfg).replace("max_concurrency: 4,", "max_concurrency: 4, api_key_env: AIF_TEST_KEY,"));
      Path out = dir.resolve("out");

      Process child = child(cfg, "first.log").start();
      int total = prompts * 8;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (server.answeredKeys().size() < total * 2 / 5 && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(child.isAlive()).as("child still working when killed; log: %s",
          Files.readString(dir.resolve("first.log"))).isTrue();
      child.destroyForcibly();  // SIGKILL on Unix
      assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).isNotZero();

      Set<String> completedBeforeKill = cacheKeys(out.resolve("cache").resolve("responses.jsonl"));
      int ratedBeforeKill = lines(out.resolve("ratings.jsonl"));
      assertThat(completedBeforeKill).isNotEmpty().hasSizeLessThan(total);
      assertThat(ratedBeforeKill).isLessThan(prompts);
      Map<String, Integer> answeredFirstRun = server.answeredByKey();

      server.resetCounts();
      Process rerun = child(cfg, "rerun.log").start();
      assertThat(rerun.waitFor(90, TimeUnit.SECONDS)).isTrue();
      assertThat(rerun.exitValue()).as(Files.readString(dir.resolve("rerun.log"))).isZero();
      assertThat(Files.readString(dir.resolve("rerun.log"))).contains("preferences: " + prompts + " pairs");

      // no call that had completed (is in the cache) was asked for again
      Set<String> askedAgain = new HashSet<>(server.attemptsByKey().keySet());
      askedAgain.retainAll(completedBeforeKill);
      assertThat(askedAgain).isEmpty();
      // calls answered by the server but lost with the process are at most those in flight at the kill: 3 endpoints x
      // 4 permits on the wire, plus as many received answers still waiting for their fsync
      Set<String> repaid = new HashSet<>(server.answeredByKey().keySet());
      repaid.retainAll(answeredFirstRun.keySet());
      assertThat(repaid.size()).isLessThanOrEqualTo(24);
      // every call was made, exactly once in total where it completed
      assertThat(cacheKeys(out.resolve("cache").resolve("responses.jsonl"))).hasSize(total);

      // zero lost, zero duplicated
      for (String file : List.of("completions.jsonl", "ratings.jsonl")) {
        List<String> ids = AifCommandTest.column(out.resolve(file), "prompt_id");
        assertThat(ids).as(file).hasSize(prompts).doesNotHaveDuplicates();
      }
      assertThat(AifCommandTest.column(out.resolve("preferences.jsonl"), "prompt_id"))
          .hasSize(prompts).doesNotHaveDuplicates();

      // the key went to the server and nowhere else: not into outputs, the cache or the logs
      assertThat(server.seen()).allSatisfy(x -> assertThat(x.authorization()).isEqualTo("Bearer " + SECRET));
      try (var files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          assertThat(Files.readString(f, StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain(SECRET);
        }
      }
    }
  }

  private static final String SECRET = "sk-live-DO-NOT-LEAK-31337";

  private ProcessBuilder child(Path cfg, String log) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "dev.zephyr.cli.ZephyrCli", "aif", "--config", cfg.toString(), "--no-progress")
        .redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile());
    pb.environment().put("AIF_TEST_KEY", SECRET);
    return pb;
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
