package dev.zephyr.eval.mc;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * {@link LoglikelihoodModel} over our decoder, scoring as lm-evaluation-harness's Hugging Face backend does:
 * trailing whitespace of the context moves to the front of the continuation; context + continuation are tokenized
 * together (no special tokens) and the continuation's tokens are what follows the context's own tokenization (so a
 * token that straddles the boundary is handled as the harness handles it); an empty context is replaced by the BOS
 * (else EOS) token. The input is the joint sequence without its last token, truncated on the left to
 * {@code maxLength}; the continuation's log-probabilities are read at its last {@code len(continuation)} positions.
 * A batch is right-padded and run in one forward pass; only the continuation positions go through the LM head.
 */
public final class LocalLoglikelihoodModel implements LoglikelihoodModel, AutoCloseable {
  private final LlamaModel model;
  private final Tokenizer tokenizer;
  private final NDManager manager;
  private final int maxLength;
  private boolean ownsResources;

  /**
   * @param manager parent for the per-batch arrays
   * @param maxLength longest input in tokens (left-truncated beyond it)
   */
  public LocalLoglikelihoodModel(LlamaModel model, Tokenizer tokenizer, NDManager manager, int maxLength) {
    this.model = Objects.requireNonNull(model, "model");
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.manager = Objects.requireNonNull(manager, "manager");
    this.maxLength = maxLength;
  }

  /**
   * Loads a base model with, when {@code source} has one, its PEFT LoRA adapter applied without merging, and the
   * tokenizer of {@code tokenizerDir} (null: {@link AdaptedModel.Source#tokenizerDir()}); {@link #close()} releases
   * them. {@code AdaptedModel.Source.of(dir, null)} also opens an adapter directory on its own. A BF16/F16 base keeps
   * its weight matrices at 2 bytes: scoring widens each layer once per batch, so it halves the memory for little time
   * and changes no number.
   */
  public static LocalLoglikelihoodModel open(AdaptedModel.Source source, Path tokenizerDir, int maxLength) {
    NDManager manager = NDManager.newBaseManager();
    try {
      LlamaModel model = AdaptedModel.load(source, manager, true).model();
      Tokenizer tokenizer = Tokenizer.load(tokenizerDir != null ? tokenizerDir : source.tokenizerDir());
      LocalLoglikelihoodModel scorer = new LocalLoglikelihoodModel(model, tokenizer, manager, maxLength);
      scorer.ownsResources = true;
      return scorer;
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** Context and continuation token ids, split as the harness's {@code _encode_pair} splits them. */
  public record EncodedPair(int[] context, int[] continuation) {}

  /** The harness's tokenization of one request. */
  public EncodedPair encode(LoglikelihoodRequest r) {
    String context = r.context();
    String continuation = r.continuation();
    if (context.isEmpty()) {
      return new EncodedPair(new int[] {prefixTokenId()}, tokenizer.encode(continuation, false));
    }
    int end = context.length();
    while (end > 0 && isPythonSpace(context.charAt(end - 1))) {
      end--;
    }
    if (end < context.length()) {
      continuation = context.substring(end) + continuation;
      context = context.substring(0, end);
    }
    int[] whole = tokenizer.encode(context + continuation, false);
    int[] ctx = tokenizer.encode(context, false);
    int cut = Math.min(ctx.length, whole.length);
    return new EncodedPair(ctx, Arrays.copyOfRange(whole, cut, whole.length));
  }

  private int prefixTokenId() {
    if (tokenizer.bosTokenId().isPresent()) {
      return tokenizer.bosTokenId().getAsInt();
    }
    if (tokenizer.eosTokenId().isPresent()) {
      return tokenizer.eosTokenId().getAsInt();
    }
    throw new IllegalStateException("the tokenizer has neither a BOS nor an EOS token for an empty context");
  }

  private static boolean isPythonSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u001c' || c == '\u001d'
        || c == '\u001e' || c == '\u001f' || c == '\u0085';
  }

  @Override
  public List<Loglikelihood> loglikelihood(List<LoglikelihoodRequest> requests) {
    int n = requests.size();
    List<int[]> inputs = new ArrayList<>(n);
    int[][] targets = new int[n][];
    int longest = 1;
    for (LoglikelihoodRequest r : requests) {
      EncodedPair p = encode(r);
      int[] full = new int[p.context().length + p.continuation().length];
      System.arraycopy(p.context(), 0, full, 0, p.context().length);
      System.arraycopy(p.continuation(), 0, full, p.context().length, p.continuation().length);
      int from = Math.max(0, full.length - (maxLength + 1));
      int[] inp = Arrays.copyOfRange(full, from, full.length - 1);
      int contLen = Math.min(p.continuation().length, inp.length);
      targets[inputs.size()] = Arrays.copyOfRange(full, full.length - contLen, full.length);
      inputs.add(inp);
      longest = Math.max(longest, inp.length);
    }
    long[] ids = new long[n * longest];
    long[] mask = new long[n * longest];
    for (int b = 0; b < n; b++) {
      int[] inp = inputs.get(b);
      for (int t = 0; t < inp.length; t++) {
        ids[b * longest + t] = inp[t];
        mask[b * longest + t] = 1;
      }
    }
    List<Loglikelihood> out = new ArrayList<>(n);
    try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray input = m.create(ids, new Shape(n, longest));
      NDArray attention = m.create(mask, new Shape(n, longest));
      NDArray hidden = model.hidden(input, attention, null, null);
      for (int b = 0; b < n; b++) {
        int len = inputs.get(b).length;
        int[] cont = targets[b];
        if (cont.length == 0) {
          out.add(new Loglikelihood(0, true));
          continue;
        }
        NDArray h = hidden.get(new NDIndex("{}, {}:{}, :", b, len - cont.length, len));
        float[] lp = model.head(h).logSoftmax(-1).toFloatArray();
        int vocab = lp.length / cont.length;
        double sum = 0;
        boolean greedy = true;
        for (int k = 0; k < cont.length; k++) {
          int base = k * vocab;
          sum += lp[base + cont[k]];
          int best = 0;
          for (int v = 1; v < vocab; v++) {
            if (lp[base + v] > lp[base + best]) {
              best = v;
            }
          }
          greedy &= best == cont[k];
        }
        out.add(new Loglikelihood(sum, greedy));
      }
    }
    return out;
  }

  /** Releases the model and tokenizer when {@link #open} loaded them; otherwise nothing (the caller owns them). */
  @Override
  public void close() {
    if (ownsResources) {
      tokenizer.close();
      manager.close();
    }
  }
}
