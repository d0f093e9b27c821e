package dev.zephyr.eval.stage;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.endpoint.EndpointSpec;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.io.Json;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An evaluation's options with typed getters whose errors name the evaluation ({@code evaluate.mt_bench}) and the
 * key; paths resolve against the recipe's directory, and keys the evaluation does not know are refused.
 */
record StageOptions(String evaluation, Map<String, Object> map, Path baseDir) {

  StageOptions {
    map = Map.copyOf(map);
  }

  String source() {
    return "evaluate." + evaluation;
  }

  /** Fails on any key outside {@code known}, naming it and the keys there are. */
  StageOptions requireOnly(Set<String> known) {
    for (String k : map.keySet()) {
      if (!known.contains(k)) {
        throw ConfigKeys.unknown(source(), 0, source() + "." + k, known);
      }
    }
    return this;
  }

  Path path(String key) {
    Object v = map.get(key);
    if (!(v instanceof String s) || s.isBlank()) {
      throw InvalidInputException.field(source(), key, "required (a local path)");
    }
    return baseDir.resolve(s).normalize();
  }

  /** A path when the key is set, else null. */
  Path optionalPath(String key) {
    return map.get(key) == null ? null : path(key);
  }

  String text(String key, String fallback) {
    Object v = map.get(key);
    return v == null ? fallback : v.toString();
  }

  int integer(String key, int fallback) {
    Object v = map.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.intValue();
    }
    throw InvalidInputException.field(source(), key, "expected an integer, found " + v);
  }

  double number(String key, double fallback) {
    Object v = map.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw InvalidInputException.field(source(), key, "expected a number, found " + v);
  }

  /** {@code judge: {base_url, model, api_key_env}}; the model name defaults to the evaluation's own judge. */
  JudgeEndpoint judge(String defaultModel) {
    Object v = map.get("judge");
    if (!(v instanceof Map<?, ?> j)) {
      throw InvalidInputException.field(source(), "judge", "required, a mapping {base_url, model, api_key_env, ...}"
          + " of an OpenAI-compatible endpoint");
    }
    for (Object k : j.keySet()) {
      if (!EndpointSpec.KEYS.contains(k.toString())) {
        throw ConfigKeys.unknown(source(), 0, source() + ".judge." + k, EndpointSpec.KEYS);
      }
    }
    Map<String, Object> keys = new LinkedHashMap<>();
    j.forEach((k, x) -> keys.put(k.toString(), x));
    keys.putIfAbsent("model", defaultModel);
    keys.putIfAbsent("api_key_env", "OPENAI_API_KEY");
    return new JudgeEndpoint(EndpointSpec.fromNode(Json.mapper().valueToTree(keys), source(), "judge"));
  }
}
