package dev.zephyr.eval.stage;

import dev.zephyr.core.InvalidInputException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

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
        throw unknownKey(k, known);
      }
    }
    return this;
  }

  /** An unknown key, named with its place ({@code evaluate.mt_bench.batch_sise}) and the closest known key. */
  private InvalidInputException unknownKey(String field, java.util.Collection<String> known) {
    String key = field.substring(field.lastIndexOf('.') + 1);
    String hint = dev.zephyr.core.config.ConfigKeys.closest(key, known).map(c -> "did you mean '" + c + "'?")
        .orElse("expected one of " + new TreeSet<>(known));
    return InvalidInputException.field(source(), field, "unknown key " + source() + "." + field + " (" + hint + ")");
  }

  Path path(String key) {
    Object v = map.get(key);
    if (!(v instanceof String s) || s.isBlank()) {
      throw InvalidInputException.field(source(), key, "required (a local path)");
    }
    return baseDir.resolve(s).normalize();
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
      throw InvalidInputException.field(source(), "judge", "required, a mapping {base_url, model, api_key_env} of an"
          + " OpenAI-compatible endpoint");
    }
    for (Object k : j.keySet()) {
      if (!JudgeEndpoint.KEYS.contains(k.toString())) {
        // suggested among every endpoint key (EndpointSpec), so a misspelt one is named; the judge reads only its own
        String hint = dev.zephyr.core.config.ConfigKeys.closest(k.toString(), dev.zephyr.core.chat.EndpointSpec.KEYS)
            .map(c -> "did you mean '" + c + "'?" + (JudgeEndpoint.KEYS.contains(c) ? ""
                : " An evaluation's judge reads only " + new TreeSet<>(JudgeEndpoint.KEYS) + " so far"))
            .orElse("expected one of " + new TreeSet<>(JudgeEndpoint.KEYS));
        throw InvalidInputException.field(source(), "judge." + k, "unknown key " + source() + ".judge." + k + " ("
            + hint + ")");
      }
    }
    Object url = j.get("base_url");
    if (url == null) {
      throw InvalidInputException.field(source(), "judge.base_url", "required");
    }
    Object model = j.get("model");
    Object key = j.get("api_key_env");
    return new JudgeEndpoint(url.toString(), model == null ? defaultModel : model.toString(),
        key == null ? "OPENAI_API_KEY" : key.toString());
  }
}
