package dev.zephyr.data.dsft;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.data.config.ProviderSpec;
import java.nio.file.Path;

/**
 * Builds a {@link ChatModel} from a provider entry of a YAML config ({@code {name, base_url, model, api_key_env,
 * max_concurrency, timeout_seconds, max_retries, temperature, top_p, max_tokens, presence_penalty, frequency_penalty,
 * repetition_penalty}} or {@code {local: MODEL_DIR}}).
 * {@link #specs} is the real one (the same {@link ProviderSpec} the {@code aif} command uses); tests supply fakes.
 */
@FunctionalInterface
public interface ProviderFactory {
  /**
   * @param key the config key the entry came from ({@code teacher}, {@code user_simulator}), for error messages
   * @param spec the entry as written
   */
  ChatModel create(String key, JsonNode spec);

  /**
   * A stage's default decoding with the provider's own {@code temperature}, {@code top_p}, {@code max_tokens} and
   * penalties applied where the entry gives them. The default changes nothing.
   */
  default SamplingParams sampling(String key, JsonNode spec, SamplingParams stageDefaults) {
    return stageDefaults;
  }

  /** Provider entries read by {@link ProviderSpec}: OpenAI-compatible endpoints or local models. */
  static ProviderFactory specs(String source, Path baseDir) {
    return new ProviderFactory() {
      @Override
      public ChatModel create(String key, JsonNode spec) {
        return ProviderSpec.fromNode(spec, source, key, baseDir).toChatModel();
      }

      @Override
      public SamplingParams sampling(String key, JsonNode spec, SamplingParams stageDefaults) {
        return ProviderSpec.fromNode(spec, source, key, baseDir).samplingParams(stageDefaults);
      }
    };
  }
}
