package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.FakeOpenAiServer.Fault;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class AifCommandTest {
  @TempDir Path dir;
  FakeOpenAiServer server;

  @BeforeEach
  void start() {
    server = FakeOpenAiServer.start();
    server.responder(FakeOpenAiServer::ratingOrAnswer);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** Writes {@code n} prompts (without prompt_id, so it is derived) and a config; returns the config path. */
  static Path setUp(Path dir, String baseUrl, int n, String extra) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      lines.add("{\"prompt\": \"Explain topic " + i + " briefly.\", \"source\": \"ultrachat\"}");
    }
    Files.write(dir.resolve("prompts.jsonl"), lines);
    String yaml = """
        prompts: prompts.jsonl
        output_dir: out
        completions_per_prompt: 4
        seed: 42
        chunk_size: 8
        principles: %s
        pool:
          - {name: a, base_url: "%s", model: teacher-a, max_concurrency: 4, timeout_seconds: 2, max_retries: 6,
             retry_backoff_ms: 10, temperature: 1.0, max_tokens: 128}
          - {name: b, base_url: ["%s"], model: teacher-b, max_concurrency: 4, timeout_seconds: 2, max_retries: 6,
             retry_backoff_ms: 10}
        judge: {base_url: "%s", model: judge, max_concurrency: 4, timeout_seconds: 2, max_retries: 6,
                retry_backoff_ms: 10}
        rubric: overall
        binarize: {chosen: overall, rejected: random, ties: keep}
        %s
        """.formatted(TestData.path("ultrafeedback", "principles_system_prompts.json"), baseUrl, baseUrl, baseUrl,
        extra);
    Path cfg = dir.resolve("aif.yaml");
    Files.writeString(cfg, yaml);
    return cfg;
  }

  static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void writesTheThreeFilesThroughFaultsAndARerunCallsNobody() throws Exception {
    Fault[] cycle = {Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.MALFORMED, Fault.NONE, Fault.NONE};
    server.retryAfter("0").faults((key, attempt) ->
        attempt == 0 ? cycle[Math.floorMod(key.hashCode(), cycle.length)] : Fault.NONE);
    Path cfg = setUp(dir, server.baseUrl(), 10, "");
    CliRun r = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("prompts: 10").contains("completions: 40 calls, 0 failed")
        .contains("judgments: 40 calls, 0 failed").contains("preferences: 10 pairs");
    Path out = dir.resolve("out");
    List<JsonNode> prefs = Jsonl.readAll(out.resolve("preferences.jsonl"));
    assertThat(prefs).hasSize(10);
    JsonNode p = prefs.get(0);
    assertThat(fieldNames(p)).containsExactly("prompt", "prompt_id", "chosen", "rejected", "messages",
        "score_chosen", "score_rejected");
    assertThat(p.get("prompt_id").asText()).hasSize(64);
    assertThat(p.get("chosen").get(1).get("role").asText()).isEqualTo("assistant");
    assertThat(Jsonl.readAll(out.resolve("completions.jsonl"))).hasSize(10);
    assertThat(Jsonl.readAll(out.resolve("ratings.jsonl"))).hasSize(10);

    server.resetCounts();
    CliRun again = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(again.code()).isZero();
    assertThat(again.out()).contains("10 already rated");
    assertThat(server.requestCount()).isZero();
    assertThat(Jsonl.readAll(out.resolve("preferences.jsonl"))).isEqualTo(prefs);
  }

  @Test
  void aRejectedKeyExitsOneWithCountsAndNoPreferencesAndTheRerunWithAGoodKeyFinishes() throws Exception {
    server.faults((key, attempt) -> Fault.BAD_KEY);
    Path cfg = setUp(dir, server.baseUrl(), 10, "");
    CliRun r = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out()).contains("prompts: 0 done, ").contains("preferences: not written");
    assertThat(r.err()).contains("zephyr aif: stopped:").contains("HTTP 401")
        .contains("authentication failed at " + server.baseUrl() + "/chat/completions")
        .contains("failures.jsonl").contains("run the same command again");
    // three 401s in a row per pool member stop it: a handful of requests, not one per planned call
    assertThat(server.requestCount()).isLessThan(20);
    Path out = dir.resolve("out");
    assertThat(out.resolve("preferences.jsonl")).doesNotExist();
    assertThat(Jsonl.readAll(out.resolve("completions.jsonl"))).isEmpty();
    assertThat(Jsonl.readAll(out.resolve("ratings.jsonl"))).isEmpty();
    assertThat(Jsonl.readAll(out.resolve("failures.jsonl"))).isNotEmpty()
        .allSatisfy(f -> assertThat(f.get("status").asInt()).isEqualTo(401));

    // the key is fixed: the same command in the same directory makes the calls and writes the pairs
    server.faults((key, attempt) -> Fault.NONE);
    server.resetCounts();
    CliRun fixed = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(fixed.code()).as(fixed.err()).isZero();
    assertThat(fixed.out()).contains("0 already rated").contains("prompts: 10 done, 0 failed, 0 pending")
        .contains("preferences: 10 pairs");
    assertThat(server.requestCount()).isEqualTo(80);
    assertThat(Jsonl.readAll(out.resolve("preferences.jsonl"))).hasSize(10);
    assertThat(out.resolve("failures.jsonl")).doesNotExist();
  }

  @Test
  void aJudgeThatKeepsFailingLeavesThoseRatingsForTheNextRun() throws Exception {
    // nothing listens where the judge should be: its calls fail through every retry; the pool answers
    Path cfg = setUp(dir, server.baseUrl(), 3, "");
    Files.writeString(cfg, Files.readString(cfg).replace("judge: {base_url: \"" + server.baseUrl() + "\"",
        "judge: {base_url: \"http://127.0.0.1:9/v1\""));
    CliRun r = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).contains("prompts: 0 done, 3 failed, 0 pending");
    assertThat(r.err()).doesNotContain("stopped:").contains("3 prompts failed");
    assertThat(Jsonl.readAll(dir.resolve("out").resolve("completions.jsonl"))).hasSize(3);
    assertThat(Jsonl.readAll(dir.resolve("out").resolve("ratings.jsonl"))).isEmpty();
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void badConfigsFailWithAClearMessage() throws Exception {
    Path cfg = setUp(dir, server.baseUrl(), 2, "temprature: 0.5");
    CliRun r = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("aif.yaml").contains("temprature")
        .as("a top-level key, where no known key is near: the keys of that level are listed")
        .contains("field 'temprature': unknown key (known keys here: binarize, cache,");

    Files.writeString(cfg, Files.readString(cfg).replace("temprature: 0.5", "")
        .replace("binarize: {chosen: overall, rejected: random, ties: keep}", "binarize: {rejected: best}"));
    r = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("binarize.rejected").contains("'best' is not one of [random, lowest, all]");
  }

  @Test
  void missingKeyVariableAndLocalProvidersAreExplained() throws Exception {
    Path cfg = setUp(dir, server.baseUrl(), 2, "");
    Files.writeString(cfg, Files.readString(cfg).replace("model: judge,", "model: judge, api_key_env: ZEPHYR_NO_SUCH_KEY_VAR,"));
    CliRun r = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("ZEPHYR_NO_SUCH_KEY_VAR").contains("not set");

    // A local provider whose directory holds no model is refused, naming the directory.
    Files.createDirectories(dir.resolve("tiny-model"));
    Files.writeString(cfg, Files.readString(cfg).replace(" api_key_env: ZEPHYR_NO_SUCH_KEY_VAR,", "")
        .replace("- {name: a, base_url: \"" + server.baseUrl() + "\", model: teacher-a,", "- {name: a, local: tiny-model,"));
    r = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("tiny-model");

    // With a real (tiny, random) model directory carrying the Zephyr tokenizer, the local decoder joins the pool.
    ModelConfig config = ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(32000).hiddenSize(16)
        .numHiddenLayers(1).numAttentionHeads(2).numKeyValueHeads(1).intermediateSize(32).eosTokenIds(List.of(2))
        .build();
    try (NDManager manager = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.random(config, 7, manager)) {
      model.save(dir.resolve("tiny-model"), Dtype.F32, TestData.path("tokenizers", "zephyr"));
    }
    Files.writeString(cfg, Files.readString(cfg).replace("max_tokens: 128", "max_tokens: 6"));
    r = run("aif", "--config", cfg.toString(), "--no-progress");
    assertThat(r.code()).as(r.err()).isZero();
    List<JsonNode> completions = Jsonl.readAll(dir.resolve("out").resolve("completions.jsonl"));
    assertThat(completions).isNotEmpty();
    assertThat(completions.toString()).contains("\"a\"");
    assertThat(Jsonl.readAll(dir.resolve("out").resolve("preferences.jsonl"))).hasSize(2);
  }

  static List<String> column(Path file, String field) {
    return Jsonl.readAll(file).stream().map(n -> n.get(field).asText()).collect(Collectors.toList());
  }
}
