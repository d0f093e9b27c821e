package dev.zephyr.train.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.io.Json;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The hyper-parameters that shape a run's result, stored with each checkpoint ({@code training_config.json}) so that a
 * resume can tell whether it would continue the same run: the trainer's {@link TrainingArguments#resultKeys()} plus
 * the task's own keys (DPO's {@code beta}, SFT's {@code max_length}...), under their recipe names, with a SHA-256
 * digest of the whole map.
 *
 * @param values key to value, as JSON (keys sorted, so equal maps give equal digests)
 * @param digest {@code sha256:} and the hex digest of {@code values}' compact JSON
 */
public record CheckpointConfig(ObjectNode values, String digest) {

  /** The stored form of {@code keys}: JSON values, sorted keys, digest. */
  public static CheckpointConfig of(Map<String, ?> keys) {
    ObjectNode sorted = JsonNodeFactory.instance.objectNode();
    for (String k : new TreeSet<>(keys.keySet())) {
      sorted.set(k, Json.mapper().valueToTree(keys.get(k)));
    }
    return new CheckpointConfig(sorted, digestOf(sorted));
  }

  /** Reads the stored form back ({@code {"digest": ..., "config": {...}}}). */
  static CheckpointConfig fromJson(JsonNode node) {
    JsonNode config = node == null ? null : node.get("config");
    if (config == null || !config.isObject()) {
      throw new IllegalArgumentException("no 'config' object");
    }
    ObjectNode sorted = JsonNodeFactory.instance.objectNode();
    List<String> names = new ArrayList<>();
    config.fieldNames().forEachRemaining(names::add);
    names.stream().sorted().forEach(n -> sorted.set(n, config.get(n)));
    return new CheckpointConfig(sorted, node.path("digest").asText(digestOf(sorted)));
  }

  /** The stored form. */
  JsonNode toJson() {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("digest", digest);
    n.set("config", values);
    return n;
  }

  /** One key whose value differs, both values as a user would write them. */
  public record Difference(String key, String checkpoint, String now) {
    @Override
    public String toString() {
      return key + ": checkpoint " + checkpoint + ", now " + now;
    }
  }

  /**
   * Every key whose value differs between this (the checkpoint's) and {@code now}, in key order (each prints as
   * {@code learning_rate: checkpoint 5e-07, now 1e-06}); empty when the runs agree.
   */
  public List<Difference> differences(CheckpointConfig now) {
    TreeSet<String> keys = new TreeSet<>();
    values.fieldNames().forEachRemaining(keys::add);
    now.values.fieldNames().forEachRemaining(keys::add);
    List<Difference> out = new ArrayList<>();
    for (String k : keys) {
      JsonNode a = values.get(k);
      JsonNode b = now.values.get(k);
      // compared as JSON text: 5 stored as a long and read back as an int are the same value
      if (a == null || b == null || !a.toString().equals(b.toString())) {
        out.add(new Difference(k, show(a), show(b)));
      }
    }
    return out;
  }

  /** The stored values (a copy). */
  @Override
  public ObjectNode values() {
    return values.deepCopy();
  }

  private static String show(JsonNode v) {
    if (v == null) {
      return "(not set)";
    }
    if (v.isTextual()) {
      return v.asText();
    }
    if (v.isFloatingPointNumber()) {
      return pythonFloat(v.asDouble());
    }
    return v.toString();
  }

  /** A double as Python prints it, the way recipes write them ({@code 5e-07}, {@code 0.1}, {@code 3.0}). */
  static String pythonFloat(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf";
    }
    if (d == 0) {
      return 1 / d < 0 ? "-0.0" : "0.0";
    }
    BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    int exponent = b.precision() - b.scale() - 1; // position of the leading digit
    if (exponent < -4 || exponent >= 16) {
      String digits = b.unscaledValue().abs().toString();
      String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+")
          + String.format(java.util.Locale.ROOT, "%02d", Math.abs(exponent));
    }
    String plain = b.toPlainString();
    return plain.contains(".") ? plain : plain + ".0";
  }

  private static String digestOf(ObjectNode sorted) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(sorted.toString().getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
