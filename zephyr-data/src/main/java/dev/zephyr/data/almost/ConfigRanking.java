package dev.zephyr.data.almost;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which generator is expected to answer better. {@link #rank} sorts candidates (0 is best); {@link #prefers} says
 * whether a pair may be formed with the first as chosen.
 */
public final class ConfigRanking {
  private final Map<String, Integer> rank;
  private final Map<String, GeneratorConfig> configs;

  private ConfigRanking(Map<String, Integer> rank, Map<String, GeneratorConfig> configs) {
    this.rank = rank;
    this.configs = configs;
  }

  /**
   * The rule of thumb as a partial order. Rank is the length of the longest chain of configurations that dominate
   * this one, so every dominating configuration ranks strictly better; a pair is allowed only when the chosen
   * configuration dominates the rejected one.
   */
  public static ConfigRanking ruleOfThumb(List<GeneratorConfig> configs) {
    Map<String, GeneratorConfig> byName = new LinkedHashMap<>();
    for (GeneratorConfig c : configs) {
      if (byName.put(c.name(), c) != null) {
        throw new IllegalArgumentException("duplicate generator config name '" + c.name() + "'");
      }
    }
    // depth fills the map with every configuration's rank, sharing what it found between configurations
    Map<String, Integer> rank = new HashMap<>();
    for (GeneratorConfig c : configs) {
      depth(c, configs, rank);
    }
    return new ConfigRanking(rank, byName);
  }

  /**
   * An explicit ranking like ALMoST's {@code --rubric}: tiers from best to worst, configurations in one tier tie.
   * A pair is allowed when the chosen configuration is in a better tier.
   */
  public static ConfigRanking tiers(List<List<String>> tiers) {
    Map<String, Integer> rank = new LinkedHashMap<>();
    for (int t = 0; t < tiers.size(); t++) {
      for (String name : tiers.get(t)) {
        if (rank.put(name, t) != null) {
          throw new IllegalArgumentException("config '" + name + "' appears twice in the ranking");
        }
      }
    }
    return new ConfigRanking(rank, null);
  }

  private static int depth(GeneratorConfig c, List<GeneratorConfig> all, Map<String, Integer> memo) {
    Integer known = memo.get(c.name());
    if (known != null) {
      return known;
    }
    int d = 0;
    for (GeneratorConfig o : all) {
      if (o.dominates(c)) {
        d = Math.max(d, depth(o, all, memo) + 1);
      }
    }
    memo.put(c.name(), d);
    return d;
  }

  /** 0 for the best; throws for an unknown configuration. */
  public int rank(String config) {
    Integer r = rank.get(config);
    if (r == null) {
      throw new IllegalArgumentException("config '" + config + "' is not in the ranking " + rank.keySet());
    }
    return r;
  }

  /** Whether a response of {@code chosen} may be preferred over one of {@code rejected}. */
  public boolean prefers(String chosen, String rejected) {
    if (configs != null) {
      return configs.get(chosen).dominates(configs.get(rejected));
    }
    return rank(chosen) < rank(rejected);
  }

  /** Configuration names in rank order (ties in declaration order). */
  public List<String> ordered() {
    List<String> names = new ArrayList<>(rank.keySet());
    if (configs != null) {
      names = new ArrayList<>(configs.keySet());
    }
    names.sort(java.util.Comparator.comparingInt(this::rank));
    return names;
  }
}
