package dev.zephyr.train.recipe;

import dev.zephyr.core.config.TreeBinding;

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

  /** The binders' base: the recipe's tree handed to its parser, errors naming the file or the config type. */
  abstract static class Binder<T> extends TreeBinding<T> {
    Binder(Class<T> type, String fallbackName, TreeBinding.Parser<T> parser) {
      super(type, fallbackName, "recipe keys", parser);
    }
  }
}
