package dev.zephyr.train;

import java.util.Random;

/** Test text: varied English-like prose of an exact length, for data-preparation tests over long rows. */
public final class Prose {
  private static final String[] WORDS = {"the", "model", "answers", "quickly", "because", "seven", "blue", "rivers",
      "compute", "a", "sum", "of", "numbers", "and", "letters", "while", "judges", "rate", "them", "42", "times."};

  private Prose() {}

  /** {@code chars} characters of words, spaces and a few line breaks, the same for the same seed. */
  public static String of(int chars, long seed) {
    StringBuilder sb = new StringBuilder(chars + 16);
    Random r = new Random(seed);
    while (sb.length() < chars) {
      sb.append(WORDS[r.nextInt(WORDS.length)]).append(r.nextInt(9) == 0 ? ",\n" : " ");
    }
    return sb.substring(0, chars);
  }
}
