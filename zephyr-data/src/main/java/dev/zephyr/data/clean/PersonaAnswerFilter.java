package dev.zephyr.data.clean;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds assistant answers of the kind the {@code ultrachat_200k} card removed: the assistant saying it has no
 * emotions, feelings, opinions or preferences ("I do not have emotions", "as an AI, I don't have personal opinions").
 * The card does not publish its phrase list; these patterns are ours, and callers may supply their own.
 */
public final class PersonaAnswerFilter {
  private static final String NEG = "(?:do not|don't|don’t|cannot|can't|can’t|am not able to|am unable to)";
  private static final String STATES =
      "(?:personal |any |my own |human |real |true )?(?:emotions?|feelings?|opinions?|beliefs?|preferences?"
          + "|personal experiences?|likes or dislikes|subjective experiences?|consciousness)";

  /** Our default patterns, matched case-insensitively anywhere in an assistant turn. */
  public static final List<String> DEFAULT_PATTERNS = List.of(
      "\\bI " + NEG + " (?:have|hold|possess|experience|feel|form) " + STATES,
      "\\bI (?:am|'m) (?:not capable of|incapable of) (?:having|feeling|experiencing|forming) " + STATES,
      "\\bas an? (?:AI|artificial intelligence|language model|AI language model|AI assistant)\\b[^.!?\\n]{0,40}?\\bI "
          + NEG + " (?:have|feel|experience|hold|form)\\b",
      "\\bI (?:lack|have no) " + STATES);

  private final List<Pattern> patterns;

  public PersonaAnswerFilter(List<String> regexes) {
    this.patterns = regexes.stream().map(r -> Pattern.compile(r, Pattern.CASE_INSENSITIVE)).toList();
  }

  public static PersonaAnswerFilter defaults() {
    return new PersonaAnswerFilter(DEFAULT_PATTERNS);
  }

  /** The matching phrase, if the text contains one. */
  public Optional<String> match(String text) {
    for (Pattern p : patterns) {
      var m = p.matcher(text);
      if (m.find()) {
        return Optional.of(m.group());
      }
    }
    return Optional.empty();
  }
}
