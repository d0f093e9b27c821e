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
  static int threads;

  @BeforeAll
  static void open() {
    threads = dev.zephyr.core.testing.TorchThreads.useOne();
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
    dev.zephyr.core.testing.TorchThreads.restore(threads);
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

  /**
   * Greedy next tokens recomputed with full forwards, no cache, and presence and frequency penalties applied by hand
   * (they shift logits by a constant per token, so log-softmax rows have the same penalised arg-max).
   */
  static int[] greedyPenalisedReference(int[] prompt, int steps, double presence, double frequency) {
    int[] seq = Arrays.copyOf(prompt, prompt.length + steps);
    for (int s = 0; s < steps; s++) {
      int len = prompt.length + s;
      float[] last = LogProbs.rows(model, Arrays.copyOf(seq, len), manager)[len - 1];
      int[] counts = new int[last.length];
      for (int i = prompt.length; i < len; i++) {
        counts[seq[i]]++;
      }
      int best = -1;
      double bestValue = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < last.length; v++) {
        double value = last[v] - frequency * counts[v] - (counts[v] > 0 ? presence : 0);
        if (value > bestValue) {
          best = v;
          bestValue = value;
        }
      }
      seq[len] = best;
    }
    return Arrays.copyOfRange(seq, prompt.length, seq.length);
  }

  static long distinct(int[] ids) {
    return Arrays.stream(ids).distinct().count();
  }

  @Test
  void greedyDecodingHonoursPresenceAndFrequencyPenalties() {
    int[] prompt = {1, 5, 9, 12};
    SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(8).build();
    int[] plain = one(prompt, greedy).tokenIds();
    // without penalties this model repeats itself (38 12 60 60 60 ...)
    assertThat(distinct(plain)).isLessThan(plain.length);
    int[] presence = one(prompt, greedy.toBuilder().presencePenalty(2).build()).tokenIds();
    assertThat(presence).hasSize(8).containsExactly(greedyPenalisedReference(prompt, 8, 2, 0));
    assertThat(distinct(presence)).isEqualTo(presence.length);
    // longer, where tokens come back and counts above 1 matter
    SamplingParams both = greedy.toBuilder().maxTokens(16).presencePenalty(0.5).frequencyPenalty(1.5).build();
    assertThat(one(prompt, both).tokenIds()).containsExactly(greedyPenalisedReference(prompt, 16, 0.5, 1.5));
  }

  @Test
  void requestsWithDifferentPenaltiesDecodeInOneBatchAsTheyDoAlone() {
    int[] a = {1, 5, 9, 12};
    int[] b = {1, 33, 2, 7, 8, 9, 10, 11, 40};
    SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(12).build();
    List<GenerationRequest> requests = List.of(
        new GenerationRequest(a, greedy.toBuilder().presencePenalty(2).build()),
        new GenerationRequest(a, greedy),
        new GenerationRequest(b, greedy.toBuilder().repetitionPenalty(1.8).frequencyPenalty(0.7).build()),
        new GenerationRequest(b, greedy.toBuilder().temperature(1.2).seed(11L).n(2).presencePenalty(-1.5)
            .repetitionPenalty(0.9).build()));
    List<GenerationResult> batched = generator.generate(requests);
    for (int r = 0; r < requests.size(); r++) {
      GenerationResult alone = generator.generate(List.of(requests.get(r))).get(0);
      for (int c = 0; c < alone.choices().size(); c++) {
        assertThat(batched.get(r).choices().get(c).tokenIds()).as("request %d choice %d", r, c)
            .containsExactly(alone.choices().get(c).tokenIds());
      }
    }
    // the penalties did change what was generated
    assertThat(batched.get(0).first().tokenIds()).isNotEqualTo(batched.get(1).first().tokenIds());
    assertThat(batched.get(2).first().tokenIds()).isNotEqualTo(one(b, greedy).tokenIds());
  }

  @Test
  void finishedRowsLeaveTheBatchWithoutChangingTheOthers() {
    int[] a = {1, 5, 9, 12};
    int[] b = {1, 33, 2, 7, 8};
    int[] c = {3, 4};
    SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(10).build();
    SamplingParams sampled = SamplingParams.builder().temperature(1.0).seed(8L).maxTokens(12).build();
    GeneratedSequence aloneA = one(a, greedy);
    GeneratedSequence aloneC = one(c, sampled);
    // b stops after 2 tokens, a after 10, c after 12: the batch shrinks twice
    List<GenerationResult> out = generator.generate(List.of(new GenerationRequest(a, greedy),
        new GenerationRequest(b, greedy.toBuilder().maxTokens(2).build()), new GenerationRequest(c, sampled)));
    assertThat(out.get(0).first().tokenIds()).containsExactly(aloneA.tokenIds());
    assertThat(out.get(1).first().tokenIds()).containsExactly(Arrays.copyOf(one(b, greedy).tokenIds(), 2));
    assertThat(out.get(2).first().tokenIds()).containsExactly(aloneC.tokenIds());
    assertThat(out.get(2).first().length()).isEqualTo(12);
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
      // the alternatives are the three most likely tokens there, best first, with their model log-probs
      var top = first.logprobs().get(0).topLogprobs();
      assertThat(top).hasSize(3);
      Integer[] byLogProb = new Integer[rows[2].length];
      for (int v = 0; v < byLogProb.length; v++) {
        byLogProb[v] = v;
      }
      java.util.Arrays.sort(byLogProb, (a, b) -> Float.compare(rows[2][b], rows[2][a]));
      for (int k = 0; k < 3; k++) {
        assertThat(top.get(k).token().trim()).isEqualTo(String.valueOf(byLogProb[k]));
        assertThat(top.get(k).logprob()).isCloseTo(rows[2][byLogProb[k]], org.assertj.core.data.Offset.offset(1e-4));
      }
      assertThat(out.get(1).first().completionTokens()).isEqualTo(3);
      assertThat(out.get(1).first().finishReason()).isEqualTo(FinishReason.LENGTH);
    }
  }

  @Test
  void localChatModelDecodesWithThePenaltiesOfTheRequest() {
    try (LocalChatModel chat = new LocalChatModel("tiny", model, PromptFormatter.tokenIdsInLastMessage(),
        Detokenizer.tokenIds(), manager, false)) {
      SamplingParams p = SamplingParams.builder().temperature(0).maxTokens(8).presencePenalty(2).build();
      ChatResponse r = chat.complete(ChatRequest.of(List.of(Message.user("1 5 9 12")), p));
      assertThat(r.text()).isEqualTo(Detokenizer.tokenIds().decode(greedyPenalisedReference(new int[] {1, 5, 9, 12},
          8, 2, 0)));
    }
  }

  @Test
  void localChatModelLoadsAFixtureDirectory() {
    try (LocalChatModel chat = LocalChatModel.load(dev.zephyr.core.testing.TestData.path("fixtures",
        "llama-gqa-f32"), PromptFormatter.tokenIdsInLastMessage(), Detokenizer.tokenIds())) {
      assertThat(chat.name()).isEqualTo("llama-gqa-f32");
      ChatResponse r = chat.complete(ChatRequest.of(List.of(Message.user("1,5,9")), SamplingParams.greedy(4)));
      assertThat(r.first().completionTokens()).isBetween(1, 4);
      assertThat(r.text()).matches("(\\d+ )*");
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
    // a bigger vocabulary than the other tests so that a per-step leak would be large: logits alone are 8 KiB a step
    ModelConfig c = model.config().toBuilder().vocabSize(2048).eosTokenIds(List.of()).build();
    try (LlamaModel m = LlamaModel.random(c, 5, 0.3, manager)) {
      Generator g = new Generator(m, null, manager, 4);
      SamplingParams p = SamplingParams.builder().temperature(1).seed(3L).maxTokens(520).build();
      List<GenerationRequest> batch = List.of(new GenerationRequest(new int[] {1, 2, 3}, p),
          new GenerationRequest(new int[] {4, 5}, p.toBuilder().seed(4L).build()));
      // warm-up as long as the measured run: the JIT settles and the heap pages the run touches are resident before
      // the first probe, so that RSS growth between the probes is native memory, not a slower machine catching up
      g.generate(batch);
      long[] nativeAt = new long[2];
      int[] arraysAt = new int[2];
      int[] allocationsAt = new int[2];
      int[] capacityAt = new int[2];
      g.afterEachStep((cache, step) -> {
        if (step == 18 || step == 518) {
          int i = step == 18 ? 0 : 1;
          System.gc();
          nativeAt[i] = nativeKib();
          arraysAt[i] = manager.getManagedArrays().size();
          allocationsAt[i] = cache.allocations();
          capacityAt[i] = cache.capacity();
        }
      });
      GenerationResult r = g.generate(batch).get(0);
      assertThat(r.first().length()).isEqualTo(520);
      // 500 steps between the two probes: the same live arrays, and the cache's buffers (one K and one V per layer,
      // sized for prompt + max_tokens) were allocated once and written in place, never copied
      assertThat(arraysAt[1]).isEqualTo(arraysAt[0]).isPositive();
      assertThat(allocationsAt).containsExactly(2 * c.numHiddenLayers(), 2 * c.numHiddenLayers());
      assertThat(capacityAt).containsExactly(3 + 520, 3 + 520);
      if (nativeAt[0] > 0) {
        // the KV cache is allocated before the first probe: nothing should grow
        assertThat(nativeAt[1] - nativeAt[0]).as("native (RSS - JVM committed) growth in KiB over 500 steps")
            .isLessThan(4 * 1024);
      }
      assertThat(manager.getManagedArrays().size()).isLessThan(arraysAt[0]); // the call's cache is gone
    }
  }
}
