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
  public static final class Sft extends StdDeserializer<SftConfig> {
    public Sft() {
      super(SftConfig.class);
    }

    @Override
    public SftConfig deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      Origin o = Origin.of(p, SftConfig.SOURCE);
      return Recipes.parseSft(mapping(p, ctx, o), o.file(), o.name(), false);
    }
  }

  /** Binds a DPO recipe ({@link Recipes#dpoKeys()}). */
  public static final class Dpo extends StdDeserializer<DpoConfig> {
    public Dpo() {
      super(DpoConfig.class);
    }

    @Override
    public DpoConfig deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      Origin o = Origin.of(p, DpoConfig.SOURCE);
      return Recipes.parseDpo(mapping(p, ctx, o), o.file(), o.name(), false);
    }
  }

  /** Binds a reward-model recipe ({@link Recipes#rewardKeys()}). */
  public static final class Reward extends StdDeserializer<RewardConfig> {
    public Reward() {
      super(RewardConfig.class);
    }

    @Override
    public RewardConfig deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      Origin o = Origin.of(p, RewardConfig.SOURCE);
      return Recipes.parseReward(mapping(p, ctx, o), o.file(), o.name(), false);
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

  private static JsonNode mapping(JsonParser p, DeserializationContext ctx, Origin o) throws IOException {
    JsonNode n = ctx.readTree(p);
    if (n == null || !n.isObject()) {
      throw new InvalidInputException(o.name(), 0, null, "expected a YAML mapping of recipe keys");
    }
    return n;
  }
}
