package dev.zephyr.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.zephyr.core.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Refuses keys a config does not know, the same way for every YAML or JSON config: the error names the key, the file,
 * the line when it can be found, and the closest known key ("did you mean 'learning_rate'?"), so that a typo such as
 * {@code learing_rate} never trains with the default.
 */
public final class ConfigKeys {
  /** Edits (insert, delete, substitute, swap two neighbours) within which a known key is offered as the fix. */
  static final int MAX_DISTANCE = 2;

  private ConfigKeys() {}

  /**
   * The known key closest to {@code key}: the one fewest edits away (at most {@value #MAX_DISTANCE}, and fewer than
   * the key's own length), else a known key that starts with it or that it starts with; ties go to the alphabetically
   * first, so the suggestion is stable.
   */
  public static Optional<String> closest(String key, Collection<String> known) {
    String k = key.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : new TreeSet<>(known)) {
      int d = distance(k, candidate.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    if (best != null && bestDistance <= MAX_DISTANCE && bestDistance < k.length()) {
      return Optional.of(best);
    }
    if (k.length() >= 3) {
      for (String candidate : new TreeSet<>(known)) {
        String c = candidate.toLowerCase(Locale.ROOT);
        if (c.startsWith(k) || k.startsWith(c)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /** Optimal-string-alignment distance: Levenshtein plus the swap of two adjacent characters as one edit. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          v = Math.min(v, d[i - 2][j - 2] + 1);
        }
        d[i][j] = v;
      }
    }
    return d[a.length()][b.length()];
  }

  /**
   * The error for one unknown key.
   *
   * @param source the config file (or a logical name)
   * @param line the 1-based line of the key, 0 when unknown
   * @param field the key as the user wrote it, with its parents ({@code judge.modle})
   * @param known the keys accepted at that place
   */
  public static InvalidInputException unknown(String source, long line, String field, Collection<String> known) {
    String key = field.substring(field.lastIndexOf('.') + 1);
    String hint = closest(key, known).map(s -> "did you mean '" + s + "'?")
        .orElse("known keys here: " + String.join(", ", new TreeSet<>(known)));
    return new InvalidInputException(source, line, field, "unknown key (" + hint + ")");
  }

  /**
   * Refuses the first key of the mapping {@code node} that is not in {@code known}.
   *
   * @param file the file the node was read from, searched for the key's line; may be null
   * @param source the name errors give for the file
   * @param prefix the node's place ({@code pool[0]}, or empty at the top)
   */
  public static void requireKnown(JsonNode node, Collection<String> known, Path file, String source, String prefix) {
    if (node == null || !node.isObject()) {
      return;
    }
    List<String> unknown = unknownKeys(node, known);
    if (!unknown.isEmpty()) {
      String key = unknown.get(0);
      throw unknown(source, lineOf(file, key), prefix.isEmpty() ? key : prefix + "." + key, known);
    }
  }

  /** The keys of {@code node} not in {@code known}, in file order. */
  public static List<String> unknownKeys(JsonNode node, Collection<String> known) {
    List<String> out = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(k -> {
      if (!known.contains(k)) {
        out.add(k);
      }
    });
    return out;
  }

  /**
   * Jackson's refusal of an unknown property (a record bound with {@code FAIL_ON_UNKNOWN_PROPERTIES}) as the same
   * error: the key with its path, its line in {@code file} (the YAML parser reports where it stopped, often the line
   * after), and the closest of the record's keys.
   *
   * @param file the file that was read; null when the text did not come from a file (no line is given then)
   */
  public static InvalidInputException fromJackson(UnrecognizedPropertyException e, Path file) {
    String source = file == null ? null : file.toString();
    List<String> known = e.getKnownPropertyIds() == null ? List.of()
        : e.getKnownPropertyIds().stream().map(String::valueOf).collect(Collectors.toList());
    String path = e.getPath().stream()
        .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining());
    String field = path.startsWith(".") ? path.substring(1) : path;
    long line = lineOf(file, e.getPropertyName());
    return unknown(source, line, field.isEmpty() ? e.getPropertyName() : field, known);
  }

  /**
   * The 1-based line of the first {@code key:} in {@code file}, or 0 when the file is null, unreadable or has no such
   * line (a key written in flow style on a shared line is still found).
   */
  public static long lineOf(Path file, String key) {
    if (file == null || !Files.isRegularFile(file)) {
      return 0;
    }
    Pattern p = Pattern.compile("(^|[\\s{,\\-])\"?" + Pattern.quote(key) + "\"?\\s*:");
    try {
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String text = lines.get(i);
        if (p.matcher(withoutComment(text)).find()) {
          return i + 1;
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }

  /** The line up to a YAML comment: a {@code #} at its start or after a blank. */
  private static String withoutComment(String line) {
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
        return line.substring(0, i);
      }
    }
    return line;
  }
}
