package dev.zephyr.data.almost;

import java.util.regex.Pattern;

/**
 * ALMoST's post-processing of a prompted response and its bad-response rules (step 1b). A bad response is replaced
 * by {@link #BAD} and takes part in nothing afterwards.
 */
public final class ResponseRules {
  /** The marker that replaces a bad response. */
  public static final String BAD = "BAD";

  private static final Pattern DONT_KNOW = Pattern.compile("(don('|’)t|do not)\\s+know", Pattern.CASE_INSENSITIVE);
  private static final Pattern HUMAN = Pattern.compile("Human[:]", Pattern.CASE_INSENSITIVE);
  private static final Pattern IMAGE = Pattern.compile("[<]Image[>]", Pattern.CASE_INSENSITIVE);

  private ResponseRules() {}

  /**
   * Cuts a raw continuation at the next dialogue separator ({@code "\n\n-----"}), then at any {@code "Assistant:"},
   * then at any {@code "Human:"}, and strips newlines and spaces from both ends.
   */
  public static String postprocess(String raw) {
    String s = firstPart(raw, "\n\n-----");
    s = firstPart(s, "Assistant:");
    s = firstPart(s, "Human:");
    return stripChars(s, "\n ");
  }

  /**
   * True when the response is bad: under 50 characters, ends with "?" or ":", starts with "well" (any case), does
   * not end with "." or "!", says it does not know, contains "Human:" or an {@code <Image>} tag.
   */
  public static boolean isBad(String response) {
    if (charCount(response) < 50) {
      return true;
    }
    char last = response.charAt(response.length() - 1);
    if (last == '?' || last == ':') {
      return true;
    }
    if (response.toLowerCase(java.util.Locale.ROOT).startsWith("well")) {
      return true;
    }
    if (last != '.' && last != '!') {
      return true;
    }
    return DONT_KNOW.matcher(response).find() || HUMAN.matcher(response).find() || IMAGE.matcher(response).find();
  }

  /** The post-processed response, or {@link #BAD}. */
  public static String finish(String raw) {
    String s = postprocess(raw);
    return isBad(s) ? BAD : s;
  }

  /** Length in characters as Python counts them (code points). */
  public static int charCount(String s) {
    return s.codePointCount(0, s.length());
  }

  private static String firstPart(String s, String sep) {
    int i = s.indexOf(sep);
    return i < 0 ? s : s.substring(0, i);
  }

  private static String stripChars(String s, String chars) {
    int b = 0;
    int e = s.length();
    while (b < e && chars.indexOf(s.charAt(b)) >= 0) {
      b++;
    }
    while (e > b && chars.indexOf(s.charAt(e - 1)) >= 0) {
      e--;
    }
    return s.substring(b, e);
  }
}
