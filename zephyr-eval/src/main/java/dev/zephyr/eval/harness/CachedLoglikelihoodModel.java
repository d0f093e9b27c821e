package dev.zephyr.eval.harness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.eval.mc.Loglikelihood;
import dev.zephyr.eval.mc.LoglikelihoodModel;
import dev.zephyr.eval.mc.LoglikelihoodRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link LoglikelihoodModel} that keeps every answer in a JSONL file, so a run killed midway and started again
 * scores only the requests it had not finished. Each batch's new answers are appended as one write and fsynced
 * ({@link JsonlAppender}: a line torn by a crash is dropped on reopening and redone). Entries are keyed by the SHA-256
 * of the model id, the context and the continuation: give a different id for a different model or scoring setup
 * (maximum length, adapter) that shares the file.
 */
public final class CachedLoglikelihoodModel implements LoglikelihoodModel, AutoCloseable {
  private final LoglikelihoodModel delegate;
  private final String modelId;
  private final JsonlAppender appender;
  private final Map<String, Loglikelihood> answers = new HashMap<>();
  private long hits;
  private long misses;

  /** Opens (or creates) the cache file and loads the answers already in it. */
  public CachedLoglikelihoodModel(LoglikelihoodModel delegate, String modelId, Path file) {
    this.delegate = delegate;
    this.modelId = modelId;
    for (JsonNode n : JsonlAppender.readComplete(file)) {
      JsonNode key = n.get("key");
      JsonNode logprob = n.get("logprob");
      JsonNode greedy = n.get("is_greedy");
      if (key == null || logprob == null || !logprob.isNumber() || greedy == null || !greedy.isBoolean()) {
        throw new InvalidInputException(file.toString(), 0, null,
            "not a log-likelihood cache line (key, logprob, is_greedy): " + n);
      }
      answers.put(key.asText(), new Loglikelihood(logprob.asDouble(), greedy.asBoolean()));
    }
    this.appender = JsonlAppender.open(file);
  }

  /** Requests answered from the file. */
  public long hits() {
    return hits;
  }

  /** Requests sent to the model. */
  public long misses() {
    return misses;
  }

  @Override
  public List<Loglikelihood> loglikelihood(List<LoglikelihoodRequest> requests) {
    List<String> keys = new ArrayList<>(requests.size());
    Map<String, LoglikelihoodRequest> missing = new LinkedHashMap<>();
    for (LoglikelihoodRequest r : requests) {
      String key = keyOf(r);
      keys.add(key);
      if (!answers.containsKey(key)) {
        missing.putIfAbsent(key, r);
      }
    }
    if (!missing.isEmpty()) {
      List<String> newKeys = new ArrayList<>(missing.keySet());
      List<Loglikelihood> got = delegate.loglikelihood(new ArrayList<>(missing.values()));
      if (got.size() != newKeys.size()) {
        throw new IllegalStateException("model returned " + got.size() + " scores for " + newKeys.size()
            + " requests");
      }
      List<Map<String, Object>> lines = new ArrayList<>(got.size());
      for (int i = 0; i < got.size(); i++) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("key", newKeys.get(i));
        line.put("logprob", got.get(i).logprob());
        line.put("is_greedy", got.get(i).isGreedy());
        lines.add(line);
      }
      appender.appendAll(lines);
      for (int i = 0; i < got.size(); i++) {
        answers.put(newKeys.get(i), got.get(i));
      }
    }
    misses += missing.size();
    hits += requests.size() - missing.size();
    List<Loglikelihood> out = new ArrayList<>(requests.size());
    for (String key : keys) {
      out.add(answers.get(key));
    }
    return out;
  }

  private String keyOf(LoglikelihoodRequest r) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String part : new String[] {modelId, r.context(), r.continuation()}) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        // length-prefixed parts, so no two different requests share a digest input
        sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) ':');
        sha.update(bytes);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public void close() {
    appender.close();
  }
}
