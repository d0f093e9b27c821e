package dev.zephyr.train.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.HalfPrecisionWeights;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.loop.FusedHead;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reference log-probs computed once, before training, and cached on disk (TRL's {@code precompute_ref_log_probs}), so
 * that DPO training holds only the policy in memory. The cache file is named by a digest of the tokenized dataset
 * (which covers the tokenizer and chat template), the reference weights and the tokenizer identity; any change gives a
 * new file instead of stale values.
 */
public final class ReferenceLogps {
  private static final Logger LOG = LoggerFactory.getLogger(ReferenceLogps.class);

  private ReferenceLogps() {}

  /** Hex SHA-256 over the examples' token ids. */
  public static String datasetDigest(List<DpoExample> examples) {
    MessageDigest md = sha256();
    for (DpoExample e : examples) {
      for (int[] part : List.of(e.promptIds(), e.chosenIds(), e.rejectedIds())) {
        ByteBuffer buf = ByteBuffer.allocate(4 + 4 * part.length);
        buf.putInt(part.length);
        for (int id : part) {
          buf.putInt(id);
        }
        md.update(buf.array());
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /**
   * Hex SHA-256 over the model's parameter names and float32 values (sorted by name). Weights kept at 2 bytes are
   * hashed as their exact float32 widening, one at a time, so a checkpoint digests the same however it was loaded.
   */
  public static String modelDigest(LlamaModel model) {
    MessageDigest md = sha256();
    HalfPrecisionWeights half = model.halfPrecisionWeights();
    java.util.SortedSet<String> names = new java.util.TreeSet<>(model.parameters().keySet());
    if (half != null) {
      names.addAll(half.names());
    }
    for (String name : names) {
      md.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      NDArray a = model.parameters().get(name);
      if (a != null) {
        md.update(a.toByteArray());
        continue;
      }
      try (NDManager widened = NDManager.newBaseManager()) {
        md.update(half.widen(name, widened).toByteArray());
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Computes the reference log-probs of every example with {@code reference}, {@code batchSize} pairs at a time. */
  public static List<DpoExample> compute(LlamaModel reference, List<DpoExample> examples, int batchSize) {
    return compute(reference, examples, batchSize, Progress.NONE);
  }

  /** As {@link #compute(LlamaModel, List, int)}, reporting pairs done as task {@code reference log-probs}. */
  public static List<DpoExample> compute(LlamaModel reference, List<DpoExample> examples, int batchSize,
      Progress progress) {
    List<DpoExample> out = new ArrayList<>(examples.size());
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (Progress.Task task = progress.start("reference log-probs", "pairs", examples.size(), 0)) {
      for (int start = 0; start < examples.size(); start += batchSize) {
        List<DpoExample> part = examples.subList(start, Math.min(examples.size(), start + batchSize));
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          float[] lp = DpoTask.sequenceLogps(reference, DpoTask.forward(part, false), FusedHead.DEFAULT_CHUNK)
              .toFloatArray();
          for (int i = 0; i < part.size(); i++) {
            out.add(part.get(i).withReference(lp[i], lp[part.size() + i]));
          }
        }
        task.advance(part.size(), tokens(part));
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
    return out;
  }

  private static long tokens(List<DpoExample> pairs) {
    long n = 0;
    for (DpoExample e : pairs) {
      n += 2L * e.promptIds().length + e.chosenIds().length + e.rejectedIds().length;
    }
    return n;
  }

  /**
   * Returns the examples with reference log-probs, read from {@code cacheDir} when a file for this (dataset, model,
   * tokenizer) exists, computed and written atomically otherwise.
   */
  public static List<DpoExample> cached(Path cacheDir, LlamaModel reference, String tokenizerDigest,
      List<DpoExample> examples, int batchSize) {
    return cached(cacheDir, reference, tokenizerDigest, examples, batchSize, Progress.NONE);
  }

  /** As {@link #cached(Path, LlamaModel, String, List, int)}, reporting the computation (not a cache read). */
  public static List<DpoExample> cached(Path cacheDir, LlamaModel reference, String tokenizerDigest,
      List<DpoExample> examples, int batchSize, Progress progress) {
    MessageDigest md = sha256();
    md.update(datasetDigest(examples).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    md.update(modelDigest(reference).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    md.update(tokenizerDigest.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String key = HexFormat.of().formatHex(md.digest()).substring(0, 24);
    Path file = cacheDir.resolve("ref_logps-" + key + ".json");
    try {
      if (Files.exists(file)) {
        JsonNode n = Json.mapper().readTree(file.toFile());
        JsonNode c = n.get("ref_chosen_logps");
        JsonNode r = n.get("ref_rejected_logps");
        if (c == null || r == null || c.size() != examples.size() || r.size() != examples.size()) {
          throw new CheckpointException(file + ": reference cache does not match the dataset size "
              + examples.size());
        }
        List<DpoExample> out = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
          out.add(examples.get(i).withReference(c.get(i).asDouble(), r.get(i).asDouble()));
        }
        LOG.info("reference log-probs read from {}", file);
        return out;
      }
      List<DpoExample> out = compute(reference, examples, batchSize, progress);
      ObjectNode n = Json.mapper().createObjectNode();
      n.put("key", key);
      n.put("num_examples", out.size());
      ArrayNode c = n.putArray("ref_chosen_logps");
      ArrayNode r = n.putArray("ref_rejected_logps");
      for (DpoExample e : out) {
        c.add(e.refChosenLogp());
        r.add(e.refRejectedLogp());
      }
      AtomicFiles.writeString(file, n.toString());
      LOG.info("reference log-probs of {} pairs cached in {}", out.size(), file);
      return out;
    } catch (IOException e) {
      throw new CheckpointException("cannot read or write reference cache " + file, e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
