package dev.zephyr.core.chat.endpoint;

import dev.zephyr.core.chat.ChatModel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.limits.RetryingChatModel;
import dev.zephyr.core.io.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointSpecTest {
  private static JsonNode yaml(String text) throws Exception {
    return Json.yaml().readTree(text);
  }

  @Test
  void bindsEveryKeyUnderItsHuggingFaceStyleName() throws Exception {
    EndpointSpec s = EndpointSpec.fromNode(yaml("""
        {name: teacher, base_url: ["http://a:8000/v1", "http://b:8000/v1"], model: m, api_key_env: K,
         timeout_seconds: 30, max_retries: 4, retry_backoff_ms: 250, requests_per_minute: 600, max_concurrency: 8,
         max_total_concurrency: 12, headers: {X-Team: a}, temperature: 0.7}
        """), "aif.yaml", "pool[0]");
    assertThat(s).isEqualTo(new EndpointSpec("teacher", List.of("http://a:8000/v1", "http://b:8000/v1"), "m", "K",
        30, 4, 250, 600.0, 8, 12, Map.of("X-Team", "a")));
    assertThat(s.retryPolicy().maxRetries()).isEqualTo(4);
    assertThat(s.retryPolicy().initialBackoff().toMillis()).isEqualTo(250);
    assertThat(EndpointSpec.KEYS).containsExactlyInAnyOrder("name", "base_url", "model", "api_key_env",
        "timeout_seconds", "max_retries", "retry_backoff_ms", "requests_per_minute", "max_concurrency",
        "max_total_concurrency", "headers");
    EndpointSpec one = EndpointSpec.fromNode(yaml("{base_url: http://x/v1, model: j}"), "a.yaml", "judge");
    assertThat(one.baseUrls()).containsExactly("http://x/v1");
    assertThat(one.displayName()).isEqualTo("j");
    assertThat(one.retryPolicy().maxRetries()).isEqualTo(EndpointSpec.DEFAULT_MAX_RETRIES);
  }

  @Test
  void badValuesNameTheFileAndTheKey() throws Exception {
    assertThatThrownBy(() -> EndpointSpec.fromNode(yaml("{base_url: http://x/v1, model: j, max_retries: -1}"),
        "a.yaml", "judge")).isInstanceOfSatisfying(InvalidInputException.class, e -> {
          assertThat(e.field()).isEqualTo("judge.max_retries");
          assertThat(e).hasMessageContaining("a.yaml").hasMessageContaining("must be >= 0, got -1");
        });
    assertThatThrownBy(() -> EndpointSpec.fromNode(yaml("{base_url: http://x/v1}"), "a.yaml", "judge"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("judge.model");
    assertThatThrownBy(() -> EndpointSpec.fromNode(yaml("{base_url: http://x/v1, model: j, timeout_seconds: soon}"),
        "a.yaml", "judge")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("judge.timeout_seconds");
    assertThatThrownBy(() -> EndpointSpec.fromNode(yaml(
        "{base_url: http://x/v1, model: j, requests_per_minute: 0}"), "a.yaml", "judge"))
        .hasMessageContaining("judge.requests_per_minute").hasMessageContaining("must be > 0");
  }

  @Test
  void opensTheClientInsideItsDecorators() {
    EndpointSpec spec = EndpointSpec.of("http://127.0.0.1:9/v1", "m", "KEY").withMaxRetries(1).withName("n");
    try (ChatModel m = spec.open(Map.of("KEY", "secret")::get)) {
      assertThat(m).isInstanceOf(RetryingChatModel.class);
      assertThat(((RetryingChatModel) m).policy().maxRetries()).isEqualTo(1);
      assertThat(m.name()).isEqualTo("n");
      assertThat(m.cacheKeyModel()).isEqualTo("m");
    }
    assertThatThrownBy(() -> spec.open(Map.<String, String>of()::get)).hasMessageContaining("KEY");
  }
}
