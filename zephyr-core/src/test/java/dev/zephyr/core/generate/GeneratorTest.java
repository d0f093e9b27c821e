package dev.zephyr.core.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GeneratorTest {
  static NDManager manager;
  static LlamaModel model;
  static Generator generator;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
    ModelConfig c = ModelConfig.builder().modelType(ModelType.MISTRAL).slidingWindow(6).vocabSize(61).hiddenSize(32)
        .numAttentionHeads(4).numKeyValueHeads(2).intermediateSize(48).eosTokenIds(List.of()).build();
    model = LlamaModel.random(c, 21, 0.5, manager);
    generator = new Generator(model, Detokenizer.tokenIds(), manager, 8);
  }

  @AfterAll
  static void close() {
    model.close();
    manager.close();
  }

  static GeneratedSequence one(int[] prompt, SamplingParams p) {
    return generator.generate(List.of(new GenerationRequest(prompt, p))).get(0).first();
  }

  /** Greedy next tokens recomputed with full forwards, no cache. */
  static int[] greedyReference(int[] prompt, int steps) {
    int[] seq = Arrays.copyOf(prompt, prompt.length + steps);
    for (int s = 0; s < steps; s++) {
      int len = prompt.length + s;
      float[][] rows = LogProbs.rows(model, Arrays.copyOf(seq, len), manager);
      float[] last = rows[len - 1];
      int best = 0;
      for (int v = 1; v < last.length; v++) {
        if (last[v] > last[best]) {
          best = v;
        }
      }
      seq[len] = best;
    }
    return Arrays.copyOfRange(seq, prompt.length, seq.length);
  }

  @Test
  void greedyWithCacheEqualsRecomputedArgMaxAndBatchingDoesNotChangeIt() {
    int[] a = {1, 5, 9, 12};
    int[] b = {1, 33, 2, 7, 8, 9, 10, 11, 40};
    SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(12).stopTokenIds(List.of()).build();
    GeneratedSequence alone = one(a, greedy);
    int[] ref = greedyReference(a, alone.length());
    assertThat(alone.tokenIds()).containsExactly(ref);
    List<GenerationResult> both = generator.generate(List.of(new GenerationRequest(b, greedy),
        new GenerationRequest(a, greedy)));
    assertThat(both.get(1).first().tokenIds()).containsExactly(alone.tokenIds());
    assertThat(both.get(0).first().tokenIds()).containsExactly(one(b, greedy).tokenIds());
    assertThat(both.get(0).promptTokens()).isEqualTo(9);
  }

  @Test
  void seededSamplingIsReproducibleWhateverTheBatch() {
    int[] prompt = {1, 4, 4, 8};
    SamplingParams p = SamplingParams.builder().temperature(1.5).topK(40).topP(0.95).repetitionPenalty(1.1)
        .maxTokens(15).seed(1234L).n(3).build();
    GenerationResult alone = generator.generate(List.of(new GenerationRequest(prompt, p))).get(0);
    GenerationResult again = generator.generate(List.of(
        new GenerationRequest(new int[] {1, 2, 3, 4, 5, 6, 7}, p.toBuilder().seed(5L).build()),
        new GenerationRequest(prompt, p))).get(1);
    assertThat(alone.choices()).hasSize(3);
    for (int c = 0; c < 3; c++) {
      assertThat(again.choices().get(c).tokenIds()).containsExactly(alone.choices().get(c).tokenIds());
    }
    // the three choices are different samples, and another seed gives another sample
    assertThat(alone.choices().get(0).tokenIds()).isNotEqualTo(alone.choices().get(1).tokenIds());
    GeneratedSequence other = one(prompt, p.toBuilder().n(1).seed(99L).build());
    assertThat(other.tokenIds()).isNotEqualTo(alone.first().tokenIds());
  }

  @Test
  void stopTokenIdsStopStringsEosAndLength() {
    int[] prompt = {1, 5, 9, 12};
    SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(8).build();
    GeneratedSequence free = one(prompt, greedy);
    int[] t = free.tokenIds();
    assertThat(free.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(t).hasSize(8);
    assertThat(free.text()).isEqualTo(Detokenizer.tokenIds().decode(t));

    int third = t[2];
    int firstIndex = 0;
    while (t[firstIndex] != third) {
      firstIndex++;
    }
    GeneratedSequence byId = one(prompt, greedy.toBuilder().stopTokenIds(List.of(third)).build());
    assertThat(byId.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(byId.tokenIds()).containsExactly(Arrays.copyOf(t, firstIndex + 1));
    assertThat(byId.text()).isEqualTo(Detokenizer.tokenIds().decode(Arrays.copyOf(t, firstIndex)));

    String stop = t[1] + " " + t[2] + " ";
    GeneratedSequence byString = one(prompt, greedy.toBuilder().stop(List.of(stop)).build());
    assertThat(byString.finishReason()).isEqualTo(FinishReason.STOP);
    String full = Detokenizer.tokenIds().decode(byString.tokenIds());
    assertThat(full).endsWith(stop);
    assertThat(byString.text()).isEqualTo(full.substring(0, full.indexOf(stop)));

    // EOS from the config ends generation too
    ModelConfig withEos = model.config().toBuilder().eosTokenIds(List.of(t[0])).build();
    LlamaModel eosModel = new LlamaModel(withEos, model.parameters(), null);
    GeneratedSequence eos = new Generator(eosModel, null, manager).generate(List.of(new GenerationRequest(prompt,
        greedy))).get(0).first();
    assertThat(eos.tokenIds()).containsExactly(t[0]);
    assertThat(eos.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(eos.text()).isNull();
  }

  @Test
  void localChatModelAnswersWithCountsAndModelLogProbs() {
    try (LocalChatModel chat = new LocalChatModel("tiny", model, PromptFormatter.tokenIdsInLastMessage(),
        Detokenizer.tokenIds(), manager, false)) {
      SamplingParams p = SamplingParams.builder().temperature(0.8).seed(7L).maxTokens(5).n(2).logprobs(true)
          .topLogprobs(3).build();
      List<ChatResponse> out = chat.complete(List.of(ChatRequest.of(List.of(Message.user("1, 5, 9")), p),
          ChatRequest.of(List.of(Message.user("1 7")), SamplingParams.greedy(3))));
      ChatResponse r = out.get(0);
      assertThat(r.promptTokens()).isEqualTo(3);
      assertThat(r.choices()).hasSize(2);
      assertThat(r.model()).isEqualTo("tiny");
      var first = r.first();
      assertThat(first.logprobs()).hasSize(first.completionTokens());
      // the reported log-prob of the first token is the model's log-softmax at the prompt's last position
      float[][] rows = LogProbs.rows(model, new int[] {1, 5, 9}, manager);
      int tok = Integer.parseInt(first.logprobs().get(0).token().trim());
      assertThat(first.logprobs().get(0).logprob()).isCloseTo(rows[2][tok], org.assertj.core.data.Offset.offset(1e-4));
      assertThat(first.logprobs().get(0).topLogprobs()).hasSize(3);
      assertThat(out.get(1).first().completionTokens()).isEqualTo(3);
      assertThat(out.get(1).first().finishReason()).isEqualTo(FinishReason.LENGTH);
    }
  }

  /** Resident memory not explained by the JVM's committed heap and non-heap: libtorch's share, in KiB. */
  static long nativeKib() {
    long rss = rssKib();
    if (rss < 0) {
      return -1;
    }
    var mem = java.lang.management.ManagementFactory.getMemoryMXBean();
    long jvm = mem.getHeapMemoryUsage().getCommitted() + mem.getNonHeapMemoryUsage().getCommitted();
    return rss - jvm / 1024;
  }

  /** Resident set size in KiB from /proc (Linux); -1 elsewhere. */
  static long rssKib() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (java.io.IOException e) {
      return -1;
    }
    return -1;
  }

  @Test
  void nativeMemoryStaysFlatOver500Steps() {
    SamplingParams p = SamplingParams.builder().temperature(1).seed(3L).maxTokens(50).stopTokenIds(List.of()).build();
    ModelConfig noEos = model.config().toBuilder().eosTokenIds(List.of()).build();
    LlamaModel m = new LlamaModel(noEos, model.parameters(), null);
    Generator g = new Generator(m, null, manager, 4);
    List<GenerationRequest> batch = List.of(new GenerationRequest(new int[] {1, 2, 3}, p),
        new GenerationRequest(new int[] {4, 5}, p.toBuilder().seed(4L).build()));
    for (int i = 0; i < 3; i++) { // warm-up: allocator pools, JIT
      g.generate(batch);
    }
    int arraysBefore = manager.getManagedArrays().size();
    System.gc();
    long nativeBefore = nativeKib();
    int steps = 0;
    for (int i = 0; i < 10; i++) {
      steps += g.generate(batch).get(0).first().length();
    }
    assertThat(steps).isEqualTo(500);
    assertThat(manager.getManagedArrays()).hasSize(arraysBefore);
    if (nativeBefore > 0) {
      // the model is 0.1 MiB; leaking each step's activations and caches would add far more than this over 500 steps
      System.gc();
      assertThat(nativeKib() - nativeBefore).as("native (RSS - JVM committed) growth in KiB").isLessThan(8 * 1024);
    }
  }
}
