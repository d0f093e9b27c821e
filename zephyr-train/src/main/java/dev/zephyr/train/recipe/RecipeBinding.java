package dev.zephyr.train.recipe;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.io.ContentReference;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import dev.zephyr.core.InvalidInputException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The Jackson entry points of the run configs: {@code mapper.readValue(file, SftConfig.class)} (and
 * {@link DpoConfig}, {@link RewardConfig}) hands the recipe's tree to the one key table in {@link Recipes}, so a config
 * read by any Jackson mapper is checked exactly as {@code Recipes.loadSft} and {@code zephyr sft --config} check it:
 * unknown keys refused with the file, the line and the closest known key; Python-only keys passed with one WARN.
 * Errors name the file when the mapper reads one, else the config type.
 */
public final class RecipeBinding {
  private RecipeBinding() {}

  /** Binds an SFT recipe ({@link Recipes#sftKeys()}). */
  public static final class Sft extends Binder<SftConfig> {
    public Sft() {
      super(SftConfig.class, SftConfig.SOURCE, (n, file, name) -> Recipes.parseSft(n, file, name, false));
    }
  }

  /** Binds a DPO recipe ({@link Recipes#dpoKeys()}). */
  public static final class Dpo extends Binder<DpoConfig> {
    public Dpo() {
      super(DpoConfig.class, DpoConfig.SOURCE, (n, file, name) -> Recipes.parseDpo(n, file, name, false));
    }
  }

  /** Binds a reward-model recipe ({@link Recipes#rewardKeys()}). */
  public static final class Reward extends Binder<RewardConfig> {
    public Reward() {
      super(RewardConfig.class, RewardConfig.SOURCE, (n, file, name) -> Recipes.parseReward(n, file, name, false));
    }
  }

  /** How {@link Recipes} parses one kind of recipe: its tree, the file (or null) and the name errors use. */
  @FunctionalInterface
  interface Parser<T> {
    T parse(JsonNode recipe, Path file, String name);
  }

  /** Reads the recipe's tree and hands it to the parser, naming its origin. */
  abstract static class Binder<T> extends StdDeserializer<T> {
    private final String fallbackName;
    private final transient Parser<T> parser;

    Binder(Class<T> type, String fallbackName, Parser<T> parser) {
      super(type);
      this.fallbackName = fallbackName;
      this.parser = parser;
    }

    @Override
    public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      Origin o = Origin.of(p, fallbackName);
      JsonNode n = ctx.readTree(p);
      if (n == null || !n.isObject()) {
        throw new InvalidInputException(o.name(), 0, null, "expected a YAML mapping of recipe keys");
      }
      return parser.parse(n, o.file(), o.name());
    }
  }

  /**
   * Where the recipe comes from: the file a mapper reads (searched for the line of a refused key), or only a name.
   */
  record Origin(Path file, String name) {
    static Origin of(JsonParser p, String fallback) {
      ContentReference ref = p.currentLocation().contentReference();
      Object raw = ref == null ? null : ref.getRawContent();
      if (raw instanceof File f) {
        return new Origin(f.toPath(), f.toPath().toString());
      }
      if (raw instanceof Path path) {
        return new Origin(path, path.toString());
      }
      return new Origin(null, fallback);
    }
  }
}
