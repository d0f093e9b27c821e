package dev.zephyr.train.rl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.config.TreeBinding;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * The Jackson entry points of {@link PpoConfig} and {@link RlooConfig}: {@code readValue(file, PpoConfig.class)} hands
 * the file's tree to the PPO / RLOO recipe parser that {@code zephyr ppo --config} and {@code zephyr rloo --config}
 * use, with its checks and messages. That parser belongs to the recipe key table, which lives in a package above this
 * one (it builds these records), so it is found as a {@link Parser} service that zephyr-train registers in
 * {@code META-INF/services} rather than named here.
 */
public final class RlBinding {
  private RlBinding() {}

  /** Parses a PPO or RLOO recipe's tree; the file is null when the content was not read from one. */
  public interface Parser {
    PpoConfig ppo(JsonNode recipe, Path file, String name);

    RlooConfig rloo(JsonNode recipe, Path file, String name);
  }

  /** Binds a standalone PPO recipe file (TRL's {@code PPOConfig} keys). */
  public static final class Ppo extends TreeBinding<PpoConfig> {
    public Ppo() {
      super(PpoConfig.class, PpoConfig.SOURCE, "recipe keys", (n, file, name) -> parser().ppo(n, file, name));
    }
  }

  /** Binds a standalone RLOO recipe file (TRL's {@code RLOOConfig} keys). */
  public static final class Rloo extends TreeBinding<RlooConfig> {
    public Rloo() {
      super(RlooConfig.class, RlooConfig.SOURCE, "recipe keys", (n, file, name) -> parser().rloo(n, file, name));
    }
  }

  private static Parser parser() {
    return ServiceLoader.load(Parser.class, RlBinding.class.getClassLoader()).findFirst()
        .orElseThrow(() -> new IllegalStateException("no " + Parser.class.getName() + " service: zephyr-train's"
            + " META-INF/services entry is missing from the class path"));
  }
}
