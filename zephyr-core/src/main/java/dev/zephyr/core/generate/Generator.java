package dev.zephyr.core.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.model.KvCache;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.progress.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Batched autoregressive generation over a {@link LlamaModel}: requests (each with {@code n} choices) become rows of a
 * left-padded batch that is prefilled once and then decoded one token per step with a {@link KvCache}. Only the last
 * position's logits leave native memory each step; sampling runs in Java with one random stream and one
 * {@link TokenPenalties} history per choice, so a seeded request gives the same tokens whatever else is in the batch.
 *
 * <p>Stops per row on an EOS id of the config, a stop token id, a stop string (needs a {@link Detokenizer}), the
 * max-new-tokens budget or the model's context length. Finished rows leave the batch. Not thread-safe: use one
 * generator per thread.
 *
 * <p>Per call, the {@link KvCache} is allocated once for prompt + max_tokens and written in place, the padding mask
 * is computed once at the prefill, and rows that decode greedily without penalties or log-probs take their arg-max on
 * the device. Decoding runs with the libtorch thread count of {@code DecodeThreads} (one by default, system property
 * {@code zephyr.generate.threads}).
 */
public final class Generator {
  /** The most a KV cache takes up front; beyond it the cache grows as sequences do. */
  static final long PREALLOCATED_CACHE_BYTES = 512L << 20;

  private final LlamaModel model;
  private final Detokenizer detokenizer;
  private final NDManager manager;
  private final int maxBatchRows;
  /** Test hook: called after each decode step with the cache and the step number. */
  private java.util.function.ObjIntConsumer<KvCache> afterStep = (cache, step) -> { };
  private Progress progress = Progress.NONE;

  /**
   * @param detokenizer for stop strings and text; null leaves {@link GeneratedSequence#text()} null
   * @param maxBatchRows rows (choices) decoded together at most
   */
  public Generator(LlamaModel model, Detokenizer detokenizer, NDManager manager, int maxBatchRows) {
    if (maxBatchRows < 1) {
      throw new IllegalArgumentException("maxBatchRows must be >= 1, got " + maxBatchRows);
    }
    this.model = model;
    this.detokenizer = detokenizer;
    this.manager = manager;
    this.maxBatchRows = maxBatchRows;
  }

  public Generator(LlamaModel model, Detokenizer detokenizer, NDManager manager) {
    this(model, detokenizer, manager, 16);
  }

  /**
   * The libtorch intra-op threads decoding runs with on the CPU: system property {@code zephyr.generate.threads}, 1
   * when unset, 0 meaning libtorch's own count ({@code ai.djl.pytorch.num_threads}).
   */
  public static int decodeThreads() {
    return DecodeThreads.configured();
  }

  /** Reports finished sequences (task {@code generate}) with the generated tokens' rate; default none. */
  public Generator progress(Progress sink) {
    this.progress = java.util.Objects.requireNonNull(sink, "progress");
    return this;
  }

  /** Registers a callback run after every decode step (tests watch memory and the cache with it). */
  void afterEachStep(java.util.function.ObjIntConsumer<KvCache> callback) {
    this.afterStep = callback;
  }

  /** One row of the batch: one choice of one request. */
  private static final class Row {
    final int request;
    final int choice;
    final int[] prompt;
    final SamplingParams params;
    final SplittableRandom rng;
    final Set<Integer> stopIds = new HashSet<>();
    final TokenPenalties penalties;
    /** Tokens this row may generate: {@code max_tokens}, capped by what the context length leaves. */
    final int budget;
    int[] seen;
    int seenCount;
    int generated;
    FinishReason finish;
    String text;
    float[] logprobs;
    List<GeneratedSequence.Alternatives> top = new ArrayList<>();

    Row(int request, int choice, int[] prompt, SamplingParams params, ModelConfig config) {
      this.request = request;
      this.choice = choice;
      this.prompt = prompt;
      this.params = params;
      long seed = params.seed() != null ? params.seed() + 0x9E3779B97F4A7C15L * choice : System.nanoTime() ^ (31L * request + choice);
      this.rng = new SplittableRandom(seed);
      stopIds.addAll(config.eosTokenIds());
      stopIds.addAll(params.stopTokenIds());
      // a max_tokens beyond the context can never be reached: size buffers by what the context leaves
      budget = (int) Math.max(1, Math.min(params.maxTokens(), (long) config.maxPositionEmbeddings() - prompt.length));
      seen = Arrays.copyOf(prompt, prompt.length + budget);
      seenCount = prompt.length;
      penalties = TokenPenalties.of(params, prompt, config.vocabSize());
      logprobs = params.logprobs() ? new float[budget] : null;
    }

    boolean done() {
      return finish != null;
    }

    /** Whether choosing the next token needs the logits on the host (anything but plain greedy). */
    boolean needsLogits() {
      return !params.isGreedy() || params.logprobs() || penalties.active();
    }

    int[] generatedIds() {
      return Arrays.copyOfRange(seen, prompt.length, seenCount);
    }
  }

  /** Generates every request's choices; results come back in request order. */
  public List<GenerationResult> generate(List<GenerationRequest> requests) {
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < requests.size(); r++) {
      GenerationRequest req = requests.get(r);
      for (int c = 0; c < req.params().n(); c++) {
        rows.add(new Row(r, c, req.promptIds(), req.params(), model.config()));
      }
    }
    // rows of similar prompt length together: less padding
    List<Row> order = new ArrayList<>(rows);
    order.sort((a, b) -> Integer.compare(a.prompt.length, b.prompt.length));
    try (Progress.Task task = progress.start("generate", "sequences", order.size(), 0)) {
      for (int start = 0; start < order.size(); start += maxBatchRows) {
        List<Row> batch = order.subList(start, Math.min(order.size(), start + maxBatchRows));
        DecodeThreads.run(manager, () -> {
          decode(batch);
          return null;
        });
        task.advance(batch.size(), batch.stream().mapToLong(row -> row.generated).sum());
      }
    }
    List<GenerationResult> results = new ArrayList<>();
    for (int r = 0; r < requests.size(); r++) {
      List<GeneratedSequence> choices = new ArrayList<>();
      for (Row row : rows) {
        if (row.request == r) {
          choices.add(new GeneratedSequence(row.generatedIds(), row.finish, row.text,
              row.logprobs == null ? null : Arrays.copyOf(row.logprobs, row.generated), row.top));
        }
      }
      results.add(new GenerationResult(requests.get(r).promptIds().length, choices));
    }
    return results;
  }

  private void decode(List<Row> rows) {
    int batch = rows.size();
    ModelConfig config = model.config();
    int promptLen = rows.stream().mapToInt(r -> r.prompt.length).max().orElseThrow();
    int contextLeft = config.maxPositionEmbeddings() - promptLen;
    int pad = config.padTokenId() != null ? config.padTokenId() : 0;
    long[] ids = new long[batch * promptLen];
    long[] mask = new long[batch * promptLen];
    for (int b = 0; b < batch; b++) {
      Row row = rows.get(b);
      int offset = promptLen - row.prompt.length;
      Arrays.fill(ids, b * promptLen, b * promptLen + offset, pad);
      for (int i = 0; i < row.prompt.length; i++) {
        ids[b * promptLen + offset + i] = row.prompt[i];
        mask[b * promptLen + offset + i] = 1;
      }
    }
    int capacity = cacheCapacity(batch, promptLen + rows.stream().mapToInt(r -> r.budget).max().orElseThrow());
    List<Row> live = new ArrayList<>(rows);
    try (NDManager m = manager.newSubManager(); KvCache cache = model.newCache(m, capacity)) {
      int[] tokens;
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray input = m.create(ids, new Shape(batch, promptLen));
        NDArray h = model.hidden(input, m.create(mask, new Shape(batch, promptLen)), null, cache);
        tokens = choose(live, model.head(h.get(new NDIndex(":, -1, :"))));
      }
      for (int step = 0; ; step++) {
        int width = live.size();
        long[] next = new long[width];
        List<Row> still = new ArrayList<>(width);
        int[] keep = new int[width];
        for (int b = 0; b < width; b++) {
          Row row = live.get(b);
          int token = tokens[b];
          finishIfDone(row, token, step + 1 >= contextLeft);
          if (!row.done()) {
            keep[still.size()] = b;
            next[still.size()] = token;
            still.add(row);
          }
        }
        if (still.isEmpty()) {
          return;
        }
        if (still.size() < width) {
          // finished rows leave the batch: later steps compute only live sequences
          cache.keepRows(Arrays.copyOf(keep, still.size()));
          next = Arrays.copyOf(next, still.size());
          live = still;
        }
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          // one real token per row and no mask: the model takes positions and padding from the cache
          NDArray out = model.forward(m.create(next, new Shape(live.size(), 1)), null, null, cache);
          tokens = choose(live, out);
        }
        afterStep.accept(cache, step);
      }
    }
  }

  /**
   * Room for the prompt and the longest budget, so that the cache's buffers are allocated once for the whole call;
   * when that would take more than {@link #PREALLOCATED_CACHE_BYTES} (a long max_tokens most rows never reach), the
   * cache starts at what fits and grows by doubling.
   */
  private int cacheCapacity(int batch, int positions) {
    ModelConfig c = model.config();
    long bytesPerPosition = 2L * Float.BYTES * c.numHiddenLayers() * batch * c.numKeyValueHeads() * c.headDim();
    return (int) Math.max(1, Math.min(positions, PREALLOCATED_CACHE_BYTES / bytesPerPosition));
  }

  /**
   * The next token of every row from logits {@code [B, (1,) V]}. When every row decodes greedily without penalties or
   * log-probs, the arg-max runs where the logits are and only B ids cross to the host; otherwise the logits come over
   * and each row is sampled in Java.
   */
  private int[] choose(List<Row> live, NDArray logits) {
    int width = live.size();
    int vocab = model.config().vocabSize();
    int[] tokens = new int[width];
    if (live.stream().noneMatch(Row::needsLogits)) {
      // torch's argmax returns the first maximal index, as Sampler.argMax does
      long[] ids = logits.reshape(width, vocab).argMax(1).toLongArray();
      for (int b = 0; b < width; b++) {
        tokens[b] = (int) ids[b];
        record(live.get(b), tokens[b]);
      }
      return tokens;
    }
    float[] all = logits.toFloatArray();
    for (int b = 0; b < width; b++) {
      tokens[b] = choose(live.get(b), Arrays.copyOfRange(all, b * vocab, (b + 1) * vocab));
    }
    return tokens;
  }

  private int choose(Row row, float[] rowLogits) {
    SamplingParams p = row.params;
    float[] raw = p.logprobs() ? rowLogits.clone() : null;
    int token = Sampler.next(rowLogits, row.penalties, p, row.rng);
    if (raw != null) {
      // one normaliser for the token and its alternatives
      Sampler.LogSoftmax logSoftmax = Sampler.LogSoftmax.of(raw);
      row.logprobs[row.generated] = logSoftmax.at(token);
      if (p.topLogprobs() > 0) {
        row.top.add(topAlternatives(logSoftmax, p.topLogprobs()));
      }
    }
    record(row, token);
    return token;
  }

  private static void record(Row row, int token) {
    row.seen[row.seenCount++] = token;
    row.penalties.add(token);
    row.generated++;
  }

  /** The {@code k} largest logits, best first (ties: lower id first), in one pass instead of sorting the vocabulary. */
  private static GeneratedSequence.Alternatives topAlternatives(Sampler.LogSoftmax logSoftmax, int k) {
    float[] raw = logSoftmax.logits();
    int n = Math.min(k, raw.length);
    int[] ids = new int[k];
    int size = 0;
    for (int i = 0; i < raw.length; i++) {
      if (size == n && Float.compare(raw[i], raw[ids[n - 1]]) <= 0) {
        continue;
      }
      int pos = size < n ? size++ : n - 1;
      while (pos > 0 && Float.compare(raw[i], raw[ids[pos - 1]]) > 0) {
        ids[pos] = ids[pos - 1];
        pos--;
      }
      ids[pos] = i;
    }
    float[] lps = new float[k];
    for (int i = 0; i < n; i++) {
      lps[i] = logSoftmax.at(ids[i]);
    }
    return new GeneratedSequence.Alternatives(ids, lps);
  }

  private void finishIfDone(Row row, int token, boolean contextFull) {
    if (row.stopIds.contains(token)) {
      finish(row, FinishReason.STOP, true);
      return;
    }
    if (!row.params.stop().isEmpty() && detokenizer != null) {
      String text = detokenizer.decode(row.generatedIds());
      for (String stop : row.params.stop()) {
        int at = text.indexOf(stop);
        if (at >= 0) {
          row.finish = FinishReason.STOP;
          row.text = text.substring(0, at);
          return;
        }
      }
    }
    if (row.generated >= row.budget || contextFull) {
      finish(row, FinishReason.LENGTH, false);
    }
  }

  private void finish(Row row, FinishReason reason, boolean endsWithStopToken) {
    row.finish = reason;
    if (detokenizer != null) {
      int[] gen = row.generatedIds();
      row.text = detokenizer.decode(endsWithStopToken ? Arrays.copyOf(gen, gen.length - 1) : gen);
    }
  }
}
