package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decoder's CLI commands: output shape and values, exit codes. */
class DecoderCommandsTest {
  static int threads;

  @org.junit.jupiter.api.BeforeAll
  static void oneThread() {
    threads = dev.zephyr.core.testing.TorchThreads.useOne();
  }

  @org.junit.jupiter.api.AfterAll
  static void restoreThreads() {
    dev.zephyr.core.testing.TorchThreads.restore(threads);
  }

  static CliRun run(String... args) {
    return CliRun.of(args);
  }

  /** Test logging may share stdout; results are the JSON lines. */
  static java.util.List<String> jsonLines(String out) {
    return out.lines().filter(l -> l.startsWith("{") || l.startsWith("[")).toList();
  }

  @Test
  void logprobsPrintsTheReferenceRows() throws Exception {
    Path fixture = TestData.path("fixtures", "qwen2-tied-bf16");
    JsonNode expected = Json.mapper().readTree(fixture.resolve("expected_logprobs.json").toFile());
    CliRun r = run("logprobs", "--model", fixture.toString(), "--ids", "1,42,43,44,45;1,5,9");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode got = Json.mapper().readTree(jsonLines(r.out()).get(0));
    assertThat(got.size()).isEqualTo(2);
    assertThat(got.get(0).size()).isEqualTo(5);
    assertThat(got.get(1).size()).isEqualTo(3);
    JsonNode want = expected.get("logprobs").get(1); // the fixture's second sequence is 1,42,43,44,45
    for (int t = 0; t < 5; t++) {
      assertThat(got.get(0).get(t).size()).isEqualTo(1024);
      for (int v = 0; v < 1024; v += 7) {
        assertThat(got.get(0).get(t).get(v).asDouble()).isCloseTo(want.get(t).get(v).asDouble(),
            org.assertj.core.data.Offset.offset(1e-4));
      }
    }
  }

  @Test
  void deviceIsChosenOnceAndADeviceTheMachineLacksIsRefusedBeforeLoading() throws Exception {
    Path fixture = TestData.path("fixtures", "llama-gqa-f32");
    CliRun cpu = run("logprobs", "--device", "cpu", "--model", fixture.toString(), "--ids", "1,5,9");
    assertThat(cpu.code()).as(cpu.err()).isZero();
    assertThat(Json.mapper().readTree(jsonLines(cpu.out()).get(0)).get(0).size()).isEqualTo(3);
    String absent = "gpu:" + ai.djl.engine.Engine.getInstance().getGpuCount();
    // the model directory does not exist either: the device is checked first
    for (String[] args : java.util.List.of(
        new String[] {"logprobs", "--device", absent, "--model", "/nonexistent-model", "--ids", "1"},
        new String[] {"generate", "--device", absent, "--model", "/nonexistent-model", "--prompt-ids", "1"},
        new String[] {"mc", "--device", absent, "--model", "/nonexistent-model", "--task", "/nonexistent.jsonl"},
        new String[] {"logprobs", "--device", "tpu", "--model", "/nonexistent-model", "--ids", "1"})) {
      CliRun r = run(args);
      assertThat(r.code()).as(String.join(" ", args)).isNotZero();
      assertThat(r.err()).as(String.join(" ", args)).contains("--device").doesNotContain("nonexistent-model");
    }
    assertThat(run("logprobs", "--device", absent, "--model", "/nonexistent-model", "--ids", "1").err())
        .contains(absent + " does not exist here");
  }

  @Test
  void badInputGivesClearErrorsAndNonZeroCodes() {
    Path fixture = TestData.path("fixtures", "llama-gqa-f32");
    CliRun bad = run("logprobs", "--model", fixture.toString(), "--ids", "1,x");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("token id #2 is not an integer: 'x'");
    CliRun outside = run("generate", "--model", fixture.toString(), "--prompt-ids", "1,5000");
    assertThat(outside.code()).isEqualTo(2);
    assertThat(outside.err()).contains("5000").contains("vocab_size 1024");
    CliRun missing = run("logprobs", "--model", "/nonexistent-model", "--ids", "1");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("/nonexistent-model");
  }

  @Test
  void generateIsGreedyByDefaultAndSeededSamplingRepeats() throws Exception {
    Path fixture = TestData.path("fixtures", "mistral-window8-f32");
    CliRun a = run("generate", "--model", fixture.toString(), "--prompt-ids", "1,5,9", "--max-new-tokens", "5",
        "--temperature", "0.9", "--top-p", "0.9", "--seed", "11");
    CliRun b = run("generate", "--model", fixture.toString(), "--prompt-ids", "1,5,9", "--max-new-tokens", "5",
        "--temperature", "0.9", "--top-p", "0.9", "--seed", "11");
    assertThat(a.code()).as(a.err()).isZero();
    assertThat(jsonLines(a.out())).isEqualTo(jsonLines(b.out())).isNotEmpty();
    JsonNode line = Json.mapper().readTree(jsonLines(a.out()).get(0));
    assertThat(line.get("prompt_tokens").asInt()).isEqualTo(3);
    assertThat(line.get("completion_tokens").asInt()).isEqualTo(line.get("token_ids").size());
    assertThat(line.get("finish_reason").asText()).isIn("stop", "length");
  }

  @Test
  void generateAppliesPenaltiesAsTheLibraryDoes() throws Exception {
    Path fixture = TestData.path("fixtures", "mistral-window8-f32");
    CliRun plain = run("generate", "--model", fixture.toString(), "--prompt-ids", "1,5,9", "--max-new-tokens", "12");
    CliRun penalised = run("generate", "--model", fixture.toString(), "--prompt-ids", "1,5,9", "--max-new-tokens",
        "12", "--presence-penalty", "2", "--frequency-penalty", "1", "--repetition-penalty", "1.3");
    assertThat(penalised.code()).as(penalised.err()).isZero();
    int[] got = ids(Json.mapper().readTree(jsonLines(penalised.out()).get(0)).get("token_ids"));
    SamplingParams p = SamplingParams.builder().temperature(0)
        .maxTokens(12).presencePenalty(2).frequencyPenalty(1).repetitionPenalty(1.3).build();
    try (NDManager manager = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.load(fixture, manager)) {
      int[] want = new Generator(m, null, manager).generate(List.of(
          new GenerationRequest(new int[] {1, 5, 9}, p))).get(0).first().tokenIds();
      assertThat(got).containsExactly(want);
    }
    assertThat(got).isNotEqualTo(ids(Json.mapper().readTree(jsonLines(plain.out()).get(0)).get("token_ids")));
    CliRun bad = run("generate", "--model", fixture.toString(), "--prompt-ids", "1,5,9", "--presence-penalty", "3");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("presence_penalty must be in [-2, 2], got 3.0");
  }

  private static int[] ids(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  @Test
  void demoRunsEndToEnd(@TempDir Path tmp) {
    CliRun r = run("demo", "--out", tmp.resolve("m").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("agree to max |diff| = 0.00e+00").contains("greedy continuation");
    assertThat(tmp.resolve("m").resolve("model.safetensors")).exists();
  }

  @Test
  void benchPrintsOneJsonLine(@TempDir Path tmp) throws Exception {
    Path trace = tmp.resolve("trace.json");
    CliRun r = run("bench", "forward", "--vocab", "128", "--hidden", "32", "--inter", "64", "--layers", "1",
        "--heads", "4", "--kv-heads", "2", "--seq", "16", "--batch", "2", "--steps", "1", "--profile",
        trace.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode j = Json.mapper().readTree(jsonLines(r.out()).get(0));
    assertThat(j.get("tokens_per_step").asInt()).isEqualTo(32);
    assertThat(j.get("tokens_per_s").asDouble()).isPositive();
    assertThat(j.get("gemm_gflops").asDouble()).isPositive();
    assertThat(j.get("mfu").asDouble()).isPositive();
    assertThat(j.get("peak_rss_mb").asLong()).isPositive();
    assertThat(j.get("threads").asInt()).isPositive();
    assertThat(j.get("dtype").asText()).isEqualTo("f32");
    assertThat(j.get("shape").asText()).isEqualTo("custom");
    // the profiler's Chrome trace of the timed step: the attention products among its operators
    JsonNode events = Json.mapper().readTree(trace.toFile());
    assertThat(events.isArray()).isTrue();
    assertThat(events.findValuesAsText("name")).contains("aten::bmm");
  }

  @Test
  void benchForwardTakesTheReferencesShapeNames() throws Exception {
    CliRun r = run("bench", "forward", "--shape", "smollm2-135m", "--seq", "4", "--batch", "1", "--steps", "1");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode j = Json.mapper().readTree(jsonLines(r.out()).get(0));
    assertThat(j.get("shape").asText()).isEqualTo("smollm2-135m");
    assertThat(j.get("params").asLong()).as("HuggingFaceTB/SmolLM2-135M").isEqualTo(134_515_008L);
    CliRun bad = run("bench", "forward", "--shape", "llama-7b");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("--shape").contains("unknown shape 'llama-7b'");
  }
}
