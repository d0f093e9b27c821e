package dev.zephyr.core.tokenizer;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounds on one render of a chat template. Templates come from model directories ({@code tokenizer_config.json},
 * {@code chat_template.jinja}), so they are untrusted input: without bounds a template can loop for hours, print
 * gigabytes, nest until the Java stack overflows, or ask a filter for a billion-space indent. Every limit, when
 * exceeded, fails the render with a {@link dev.zephyr.core.TemplateException} that names the limit, its value and this
 * record.
 *
 * <p>The defaults ({@link #DEFAULTS}) leave real chat templates far from every limit (the Zephyr, Llama 3.1, Qwen3
 * and DeepSeek-V3 templates of the golden tests nest at most 5 levels deep and render a conversation in
 * milliseconds):
 * <ul>
 *   <li>{@code renderTime} 5 s: wall-clock time of one render, checked before every template node Jinjava renders
 *       and inside the built-ins that loop;</li>
 *   <li>{@code maxOutputChars} 1 MiB (1,048,576): characters a render may produce, build into one string, or hand to
 *       a filter as a list or dict, on top of the characters of the conversation and variables it was given (so a
 *       long conversation never trips it);</li>
 *   <li>{@code maxDepth} 100: nesting of blocks ({@code for}, {@code if}, {@code macro}...) plus brackets in the
 *       source, and the depth of recursive macro calls;</li>
 *   <li>{@code maxArgument} 100,000: the largest size argument a built-in may be asked to allocate for (the indent of
 *       {@code tojson} and {@code indent}, the width of {@code center} and of {@code format} fields, the length of
 *       {@code range}, the size of {@code batch} and {@code round}), and the most items a list or dict may hold
 *       (or as many as the largest list or dict the render was given).</li>
 * </ul>
 *
 * <p>Change them with {@link ChatTemplate#withLimits} or {@link ChatTokenizer#withTemplateLimits}, for example
 * {@code template.withLimits(TemplateLimits.DEFAULTS.withRenderTime(Duration.ofSeconds(30)))}.
 *
 * @param renderTime wall-clock limit of one render
 * @param maxOutputChars characters a render may add beyond its input's own text
 * @param maxDepth nesting and macro recursion depth
 * @param maxArgument largest size argument of an allocating built-in, and largest list or dict
 */
public record TemplateLimits(Duration renderTime, long maxOutputChars, int maxDepth, int maxArgument) {
  /** 5 s, 1 MiB beyond the input, depth 100, arguments and collections up to 100,000. */
  public static final TemplateLimits DEFAULTS = new TemplateLimits(Duration.ofSeconds(5), 1L << 20, 100, 100_000);

  /** Where messages point users who hit a limit. */
  static final String HOW_TO_CHANGE = "raise it with ChatTemplate.withLimits(TemplateLimits...)";

  public TemplateLimits {
    Objects.requireNonNull(renderTime, "renderTime");
    if (renderTime.isNegative() || renderTime.isZero()) {
      throw new IllegalArgumentException("renderTime must be positive, got " + renderTime);
    }
    if (maxOutputChars < 1) {
      throw new IllegalArgumentException("maxOutputChars must be positive, got " + maxOutputChars);
    }
    if (maxDepth < 1) {
      throw new IllegalArgumentException("maxDepth must be positive, got " + maxDepth);
    }
    if (maxArgument < 1) {
      throw new IllegalArgumentException("maxArgument must be positive, got " + maxArgument);
    }
  }

  public TemplateLimits withRenderTime(Duration value) {
    return new TemplateLimits(value, maxOutputChars, maxDepth, maxArgument);
  }

  public TemplateLimits withMaxOutputChars(long value) {
    return new TemplateLimits(renderTime, value, maxDepth, maxArgument);
  }

  public TemplateLimits withMaxDepth(int value) {
    return new TemplateLimits(renderTime, maxOutputChars, value, maxArgument);
  }

  public TemplateLimits withMaxArgument(int value) {
    return new TemplateLimits(renderTime, maxOutputChars, maxDepth, value);
  }
}
