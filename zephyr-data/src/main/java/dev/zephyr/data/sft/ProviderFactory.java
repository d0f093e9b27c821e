package dev.zephyr.data.sft;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.ChatModel;

/**
 * Builds a {@link ChatModel} from a provider entry of a YAML config ({@code {name, base_url, model, api_key_env,
 * max_concurrency, timeout_seconds, max_retries, temperature, max_tokens}} or {@code {local: MODEL_DIR}}). The
 * command line supplies the real one; tests supply fakes.
 */
@FunctionalInterface
public interface ProviderFactory {
  /**
   * @param key the config key the entry came from ({@code teacher}, {@code user_simulator}), for error messages
   * @param spec the entry as written
   */
  ChatModel create(String key, JsonNode spec);
}
