package dev.zephyr.core.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** The library's Jackson mappers: one configuration everywhere, so every artifact reads and writes the same way. */
public final class Json {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  private static final ObjectMapper YAML = YAMLMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private static final ObjectMapper STRICT_YAML = YAMLMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private Json() {}

  /** Shared JSON mapper; unknown properties are ignored so files written by newer tools still load. */
  public static ObjectMapper mapper() {
    return JSON;
  }

  /** Shared YAML mapper (recipes and configs). */
  public static ObjectMapper yaml() {
    return YAML;
  }

  /**
   * The YAML mapper for config records: an unknown key is an error (a typo must not fall back to a default); turn
   * Jackson's refusal into the library's message with {@code ConfigKeys.fromJackson}.
   */
  public static ObjectMapper strictYaml() {
    return STRICT_YAML;
  }
}
