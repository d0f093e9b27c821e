package dev.zephyr.core.model.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.Detokenizer;
import dev.zephyr.core.generate.LocalChatModel;
import dev.zephyr.core.generate.PromptFormatter;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.testing.TestAdapters;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A base plus an unmerged adapter generates what the merged model generates; bad adapter directories are refused. */
class AdaptedModelTest {
  static final Path BASE = TestData.path("fixtures", "llama-gqa-f32");
  @TempDir Path tmp;

  /**
   * Writes an adapter for {@code base} on all seven projections with random B (PEFT's zero B would change nothing),
   * naming {@code baseName} as its base.
   */
  static void writeAdapter(Path base, String baseName, Path dir) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(base, m);
        LoraAdapter lora = LoraAdapter.create(model, LoraConfig.of(4, 8).withBaseModel(baseName), 3, m)) {
      TestAdapters.randomizeB(lora, 11, 0.6, m);
      PeftFiles.save(lora, dir);
    }
  }

  private static String greedy(LocalChatModel chat) {
    return chat.complete(ChatRequest.of(List.of(Message.user("1 17 300 42 9")), SamplingParams.greedy(12))).text();
  }

  private static LocalChatModel tokenIds(AdaptedModel.Source source) {
    return LocalChatModel.load(source, PromptFormatter.tokenIdsInLastMessage(), Detokenizer.tokenIds());
  }

  @Test
  void generationWithTheAdapterEqualsGenerationWithTheMergedModelAndDiffersFromTheBase() {
    Path adapter = tmp.resolve("adapter");
    writeAdapter(BASE, BASE.toString(), adapter);
    Path merged = tmp.resolve("merged");
    LoraMerge.mergeToDirectory(BASE, adapter, merged);

    String adapted;
    try (LocalChatModel chat = tokenIds(new AdaptedModel.Source(BASE, adapter))) {
      assertThat(chat.name()).isEqualTo("adapter");
      adapted = greedy(chat);
    }
    String mergedText;
    try (LocalChatModel chat = tokenIds(new AdaptedModel.Source(merged, null))) {
      mergedText = greedy(chat);
    }
    String baseText;
    try (LocalChatModel chat = tokenIds(new AdaptedModel.Source(BASE, null))) {
      baseText = greedy(chat);
    }
    assertThat(adapted.split(" ")).hasSize(12);
    assertThat(adapted).isEqualTo(mergedText).isNotEqualTo(baseText);

    // the adapter directory alone brings its base, as AutoPeftModelForCausalLM does
    try (LocalChatModel chat = LocalChatModel.load(adapter, PromptFormatter.tokenIdsInLastMessage(),
        Detokenizer.tokenIds())) {
      assertThat(greedy(chat)).isEqualTo(adapted);
    }
  }

  @Test
  void anAdapterDirectoryStandsForItsBasePlusItself() throws Exception {
    Path adapter = tmp.resolve("run/adapter");
    writeAdapter(BASE, BASE.toString(), adapter);
    AdaptedModel.Source s = AdaptedModel.Source.of(adapter, null);
    assertThat(s.base()).isEqualTo(BASE.normalize());
    assertThat(s.adapter()).isEqualTo(adapter);
    assertThat(s.tokenizerDir()).as("no tokenizer.json in the adapter directory").isEqualTo(BASE.normalize());
    Files.writeString(adapter.resolve("tokenizer.json"), "{}");
    assertThat(s.tokenizerDir()).isEqualTo(adapter);
    assertThat(AdaptedModel.Source.of(BASE, null)).isEqualTo(new AdaptedModel.Source(BASE, null));

    // a relative base is tried against the working directory, then against the adapter directory
    Path copy = tmp.resolve("run/base");
    Files.createDirectories(copy);
    for (String f : List.of("config.json", "model.safetensors")) {
      Files.copy(BASE.resolve(f), copy.resolve(f));
    }
    Path relative = tmp.resolve("relative");
    writeAdapter(BASE, "../run/base", relative);
    assertThat(AdaptedModel.baseOf(relative)).isEqualTo(copy);
  }

  @Test
  void aDirectoryWithoutAdapterConfigSaysWhatIsMissing() {
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> AdaptedModel.load(BASE, tmp, m))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining(tmp.toString()).hasMessageContaining("adapter_config.json")
          .hasMessageContaining("is missing").hasMessageContaining("adapter_model.safetensors");
      // a full model passed as the adapter is recognised as one
      assertThatThrownBy(() -> AdaptedModel.load(BASE, BASE, m))
          .hasMessageContaining("looks like a full model directory");
    }
  }

  @Test
  void anAdapterForAnotherShapeIsRefusedNamingTheTensor() throws Exception {
    Path other = tmp.resolve("other-base");
    ModelConfig c = ModelConfig.builder().vocabSize(1024).hiddenSize(32).numAttentionHeads(4).numKeyValueHeads(2)
        .intermediateSize(64).numHiddenLayers(2).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 1, m)) {
      model.save(other);
    }
    Path adapter = tmp.resolve("adapter-for-other");
    writeAdapter(other, other.toString(), adapter);
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> AdaptedModel.load(BASE, adapter, m))
          .isInstanceOf(CheckpointException.class)
          .hasMessageContaining("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
          .hasMessageContaining("shape");
    }
  }

  @Test
  void aBaseThatIsNoLocalDirectoryIsNamed() {
    Path adapter = tmp.resolve("hub-adapter");
    writeAdapter(BASE, "HuggingFaceTB/SmolLM2-135M", adapter);
    assertThatThrownBy(() -> AdaptedModel.Source.of(adapter, null))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("base_model_name_or_path").hasMessageContaining("HuggingFaceTB/SmolLM2-135M")
        .hasMessageContaining("--model BASE --adapter");
  }
}
