package dev.zephyr.data.almost;

import java.util.Objects;

/**
 * One ALMoST response generator: a model of some size prompted with some number of demonstrations of some quality.
 *
 * <p>The rule of thumb ("larger model > smaller, more shots > fewer, better prompt > worse") is a <em>partial</em>
 * order: {@code a} dominates {@code b} when {@code a} is at least as good in all three and strictly better in at least
 * one. Configurations that trade one factor against another (13B with 1 shot vs 7B with 5 shots) are incomparable
 * and are never paired.
 *
 * @param name identifier, e.g. {@code llama-7b-Faithful-3shot} (ALMoST's {@code {model}-{prompt}-{n}shot})
 * @param modelSizeB parameter count in billions
 * @param shots number of in-context demonstrations
 * @param promptQuality higher is better; ALMoST's prompts are {@link #HHH} and {@link #FAITHFUL}
 */
public record GeneratorConfig(String name, double modelSizeB, int shots, int promptQuality) {
  /** Quality of the Anthropic HHH demonstrations. */
  public static final int HHH = 0;
  /** Quality of ALMoST's more detailed Faithful demonstrations (better than HHH). */
  public static final int FAITHFUL = 1;

  public GeneratorConfig {
    Objects.requireNonNull(name, "name");
    if (modelSizeB <= 0 || shots < 0) {
      throw new IllegalArgumentException("model size must be > 0 and shots >= 0 for " + name);
    }
  }

  /** True when this configuration is expected to answer better than {@code other} by the rule of thumb. */
  public boolean dominates(GeneratorConfig other) {
    boolean atLeast = modelSizeB >= other.modelSizeB && shots >= other.shots && promptQuality >= other.promptQuality;
    boolean better = modelSizeB > other.modelSizeB || shots > other.shots || promptQuality > other.promptQuality;
    return atLeast && better;
  }
}
