package dev.zephyr.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.model.HalfPrecisionWeights;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.safetensors.Dtype;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link LocalChatModel#load} with {@code keep16Bit} holds a BF16 or F16 checkpoint's weight matrices at 2 bytes and
 * generates what the widened model generates. Widening a 16-bit value to float32 is exact, so the two hold the same
 * numbers; the log-probs are compared to 1e-6 (float32 rounding of the same operations), which they meet exactly today.
 */
class LocalChatModelKeep16BitTest {
  @TempDir Path tmp;

  private static final LocalModel.Options KEPT = new LocalModel.Options(null, true);

  @ParameterizedTest
  @EnumSource(value = Dtype.class, names = {"BF16", "F16"})
  void keptWeightsAreTwoBytesAndGiveTheWidenedLogProbs(Dtype dtype) {
    Path dir = tmp.resolve(dtype.name());
    ModelConfig c = ModelConfig.builder().vocabSize(64).hiddenSize(16).numAttentionHeads(2).numKeyValueHeads(1)
        .intermediateSize(24).numHiddenLayers(2).tieWordEmbeddings(false).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 5, 0.5, m)) {
      model.save(dir, dtype, null);
    }

    List<Completion> kept;
    try (LocalChatModel chat = load(dir, KEPT)) {
      HalfPrecisionWeights half = chat.model().halfPrecisionWeights();
      assertThat(half).as("16-bit matrices kept").isNotNull();
      // 2 layers x 7 projections, the embedding and the untied head; the norms load as float32
      assertThat(half.names()).hasSize(16).contains("model.embed_tokens.weight", "lm_head.weight",
          "model.layers.1.mlp.down_proj.weight").noneMatch(n -> n.contains("norm"));
      assertThat(half.storedAs("model.layers.0.self_attn.q_proj.weight")).isEqualTo(dtype);
      assertThat(half.nativeBytes()).isEqualTo(2 * half.elementCount());
      assertThat(half.elementCount()).isEqualTo(2L * 64 * 16 + 2 * (16 * 16 + 2 * 16 * 8 + 16 * 16 + 3 * 16 * 24));
      kept = complete(chat);
    }
    List<Completion> widened;
    try (LocalChatModel chat = LocalChatModel.load(dir, PromptFormatter.tokenIdsInLastMessage(),
        Detokenizer.tokenIds())) {
      assertThat(chat.model().halfPrecisionWeights()).as("the default widens").isNull();
      widened = complete(chat);
    }

    assertThat(kept.get(0).text()).isEqualTo(widened.get(0).text());
    assertThat(kept.get(0).logprobs()).hasSize(6).hasSameSizeAs(widened.get(0).logprobs());
    for (int i = 0; i < kept.get(0).logprobs().size(); i++) {
      double k = kept.get(0).logprobs().get(i).logprob();
      assertThat(k).isNegative().isCloseTo(widened.get(0).logprobs().get(i).logprob(), within(1e-6));
    }
  }

  @Test
  void fromDirectoryWithOptionsKeepsTheWeightsAndUsesTheChatTemplate() {
    Path dir = tmp.resolve("chat");
    ModelConfig c = ModelConfig.builder().vocabSize(32000).hiddenSize(16).numAttentionHeads(2).numKeyValueHeads(1)
        .intermediateSize(24).numHiddenLayers(1).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 3, 0.5, m)) {
      model.save(dir, Dtype.BF16, dev.zephyr.core.testing.TestData.path("tokenizers", "zephyr"));
    }
    String kept;
    try (LocalChatModel chat = LocalChatModel.fromDirectory(AdaptedModel.Source.of(dir, null), KEPT)) {
      assertThat(chat.model().halfPrecisionWeights().names()).contains("model.embed_tokens.weight");
      kept = chat.complete(ChatRequest.of(List.of(Message.user("Hi")), SamplingParams.greedy(5))).text();
    }
    try (LocalChatModel chat = LocalChatModel.fromDirectory(AdaptedModel.Source.of(dir, null))) {
      assertThat(chat.model().halfPrecisionWeights()).isNull();
      assertThat(chat.complete(ChatRequest.of(List.of(Message.user("Hi")), SamplingParams.greedy(5))).text())
          .isEqualTo(kept);
    }
  }

  private static LocalChatModel load(Path dir, LocalModel.Options options) {
    return LocalChatModel.load(dir, PromptFormatter.tokenIdsInLastMessage(), Detokenizer.tokenIds(), options);
  }

  private static List<Completion> complete(LocalChatModel chat) {
    SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(6).logprobs(true).build();
    return chat.complete(ChatRequest.of(List.of(Message.user("3 17 40 9 22")), greedy)).choices();
  }
}
