package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.LoraMerge;
import dev.zephyr.core.model.lora.PeftFiles;
import dev.zephyr.core.testing.TestAdapters;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --adapter} on the commands that run a local model: base plus unmerged adapter gives what the merged model
 * gives, and not what the base gives; an adapter directory alone brings its base; bad adapters fail clearly.
 */
class AdapterCommandsTest {
  @TempDir static Path dir;
  static Path base;
  static Path adapter;
  static Path merged;

  @BeforeAll
  static void writeModels() throws Exception {
    base = dir.resolve("base");
    adapter = dir.resolve("my-adapter");
    ModelConfig c = ModelConfig.builder().vocabSize(32000).hiddenSize(16).numAttentionHeads(2).numKeyValueHeads(1)
        .intermediateSize(24).numHiddenLayers(1).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 3, 0.5, m);
        LoraAdapter lora = LoraAdapter.create(model, LoraConfig.of(2, 4).withBaseModel(base.toString()), 1, m)) {
      model.save(base);
      TestAdapters.randomizeB(lora, 5, 1.0, m);
      PeftFiles.save(lora, adapter);
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(TestData.path("tokenizers", "zephyr", f), base.resolve(f));
    }
    merged = dir.resolve("merged");
    LoraMerge.mergeToDirectory(base, adapter, merged);
  }

  private static List<String> generatedIds(String... modelArgs) throws Exception {
    List<String> args = new ArrayList<>(List.of("generate"));
    args.addAll(List.of(modelArgs));
    args.addAll(List.of("--prompt-ids", "1,415,7254,349;1,22557", "--max-new-tokens", "8"));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    List<String> ids = new ArrayList<>();
    for (String line : r.out().strip().split("\n")) {
      ids.add(Json.mapper().readTree(line).get("token_ids").toString());
    }
    assertThat(ids).hasSize(2);
    return ids;
  }

  @Test
  void generateWithAnAdapterEqualsTheMergedModel() throws Exception {
    List<String> adapted = generatedIds("--model", base.toString(), "--adapter", adapter.toString());
    assertThat(adapted).isEqualTo(generatedIds("--model", merged.toString()))
        .isNotEqualTo(generatedIds("--model", base.toString()));
    assertThat(generatedIds("--model", adapter.toString())).as("the adapter directory alone").isEqualTo(adapted);

    CliRun chat = CliRun.of("generate", "--model", base.toString(), "--adapter", adapter.toString(), "--prompt",
        "Hello", "--max-new-tokens", "4");
    assertThat(chat.code()).as(chat.err()).isZero();
    assertThat(Json.mapper().readTree(chat.out().strip()).get("text").isTextual()).isTrue();
  }

  @Test
  void aDirectoryWithoutAdapterConfigOrAMismatchedAdapterFailsClearly() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("not-an-adapter"));
    CliRun missing = CliRun.of("generate", "--model", base.toString(), "--adapter", empty.toString(),
        "--prompt-ids", "1,2");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains(empty.toString()).contains("adapter_config.json").contains("is missing");

    Path wide = dir.resolve("wide");
    Path wideAdapter = dir.resolve("wide-adapter");
    ModelConfig c = ModelConfig.builder().vocabSize(32000).hiddenSize(32).numAttentionHeads(2).numKeyValueHeads(1)
        .intermediateSize(24).numHiddenLayers(1).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 3, m);
        LoraAdapter lora = LoraAdapter.create(model, LoraConfig.of(2, 4).withBaseModel(wide.toString()), 1, m)) {
      PeftFiles.save(lora, wideAdapter);
    }
    CliRun mismatch = CliRun.of("mc", "--model", base.toString(), "--adapter", wideAdapter.toString(), "--task",
        task().toString());
    assertThat(mismatch.code()).isEqualTo(1);
    assertThat(mismatch.err()).contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
        .contains("shape");

    CliRun served = CliRun.of("mt-bench", "answer", "--bench-dir", TestData.path("mt_bench").toString(),
        "--model-url", "http://localhost:1/v1", "--model-name", "m", "--adapter", adapter.toString(), "--out",
        dir.resolve("x.jsonl").toString());
    assertThat(served.code()).isEqualTo(2);
    assertThat(served.err()).contains("--adapter applies to a local --model DIR");
  }

  private static Path task() throws Exception {
    Path task = dir.resolve("task.jsonl");
    Files.writeString(task, "{\"context\": \"Question: 2+2?\\nAnswer:\", \"choices\": [\"4\", \"5\"], \"gold\": 0}\n"
        + "{\"context\": \"The sky is\", \"choices\": [\"blue\", \"green\", \"loud\"], \"gold\": 1}\n"
        + "{\"context\": \"Pick:\", \"choices\": [\" A\", \" a longer answer than that\"], \"gold\": 1}\n");
    return task;
  }

  @Test
  void mcWithAnAdapterScoresAsTheMergedModel() throws Exception {
    JsonNode adapted = mc("--model", base.toString(), "--adapter", adapter.toString());
    JsonNode fromMerged = mc("--model", merged.toString());
    for (String metric : List.of("acc", "acc_norm")) {
      assertThat(adapted.get(metric).asDouble()).as(metric).isEqualTo(fromMerged.get(metric).asDouble());
    }
    assertThat(adapted.get("n").asInt()).isEqualTo(3);
  }

  private static JsonNode mc(String... modelArgs) throws Exception {
    List<String> args = new ArrayList<>(List.of("mc", "--task", task().toString()));
    args.addAll(List.of(modelArgs));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    return Json.mapper().readTree(r.out());
  }

  @Test
  void mtBenchAnswersWithAnAdapterAreTheMergedModelsAndNamedAfterTheAdapter() {
    List<JsonNode> adapted = mtBenchAnswers("adapted", "--model", base.toString(), "--adapter", adapter.toString());
    assertThat(adapted.get(0).get("model_id").asText()).isEqualTo("my-adapter");
    List<JsonNode> fromMerged = mtBenchAnswers("merged", "--model", merged.toString());
    List<JsonNode> plain = mtBenchAnswers("plain", "--model", base.toString());
    assertThat(turns(adapted)).isEqualTo(turns(fromMerged)).isNotEqualTo(turns(plain));
  }

  private static List<JsonNode> mtBenchAnswers(String name, String... modelArgs) {
    Path out = dir.resolve("answers-" + name + ".jsonl");
    List<String> args = new ArrayList<>(List.of("mt-bench", "answer", "--bench-dir",
        TestData.path("mt_bench").toString(), "--first-n", "2", "--max-new-tokens", "6", "--out", out.toString()));
    args.addAll(List.of(modelArgs));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    return Jsonl.readAll(out);
  }

  private static List<String> turns(List<JsonNode> answers) {
    return answers.stream().map(a -> a.get("choices").get(0).get("turns").toString()).toList();
  }

  @Test
  void thePipelineLoaderOpensAStageAdapterDirectoryOnItsBase() {
    SamplingParams greedy = SamplingParams.greedy(6);
    List<Message> hello = List.of(Message.user("Say something."));
    String adapted;
    try (ChatModel m = PipelineCommand.open(adapter, null)) {
      adapted = m.complete(ChatRequest.of(hello, greedy)).text();
    }
    try (ChatModel m = PipelineCommand.open(merged, null)) {
      assertThat(m.complete(ChatRequest.of(hello, greedy)).text()).isEqualTo(adapted);
    }
    try (ChatModel m = PipelineCommand.open(base, null)) {
      assertThat(m.complete(ChatRequest.of(hello, greedy)).text()).isNotEqualTo(adapted);
    }
  }
}
