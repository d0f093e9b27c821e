package dev.zephyr.cli;

import dev.zephyr.train.dpo.ReferenceLogps;
import dev.zephyr.train.loop.TrainingTask;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the lines of a Java source that assemble a trainer by hand instead of running one of zephyr-train's ready
 * entries ({@code TrainingRuns}, {@code SftRun}, {@code DpoRun}...): constructing the training loop
 * ({@code new Trainer}), naming a training task (any {@link TrainingTask}: {@code SftTask}, {@code DpoTask},
 * {@code RewardTask}, or one of the source's own), naming an optimizer or schedule class of
 * {@code dev.zephyr.train.optim} (its enums, such as {@code SchedulerType}, are configuration and allowed) or
 * computing DPO reference log-probs ({@link ReferenceLogps}).
 *
 * <p>Names are resolved the way the compiler would (single-type imports, on-demand imports, fully qualified names) and
 * the class is asked what it is, so a new task or optimizer in zephyr-train is caught without a list to update.
 * Comments and string literals are blanked first, so prose that mentions a trainer is not a finding.
 */
final class TrainerAssemblyScan {
  private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(static\\s+)?([\\w.]+?)(\\.\\*)?\\s*;");
  private static final Pattern CAPITALISED = Pattern.compile("(?<![\\w.])[A-Z]\\w*");
  private static final Pattern QUALIFIED = Pattern.compile("\\bdev\\.zephyr\\.train(?:\\.\\w+)+");
  private static final Pattern NEW_TRAINER =
      Pattern.compile("\\bnew\\s+(?:dev\\.zephyr\\.train\\.loop\\.)?Trainer\\s*[<(]");

  private TrainerAssemblyScan() {}

  /** Each finding as {@code file:line: why}, in line order. */
  static List<String> findings(String file, String source) {
    List<String> lines = blankCommentsAndStrings(source).lines().toList();
    Map<String, String> imported = new HashMap<>();
    List<String> onDemand = new ArrayList<>();
    for (String line : lines) {
      Matcher m = IMPORT.matcher(line);
      if (m.find() && m.group(1) == null) {
        if (m.group(3) != null) {
          onDemand.add(m.group(2));
        } else {
          imported.put(m.group(2).substring(m.group(2).lastIndexOf('.') + 1), m.group(2));
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      Set<String> why = new LinkedHashSet<>();
      if (NEW_TRAINER.matcher(line).find()) {
        why.add("constructs the training loop (new Trainer)");
      }
      Matcher q = QUALIFIED.matcher(line);
      while (q.find()) {
        topLevelClass(q.group()).flatMap(TrainerAssemblyScan::reason).ifPresent(why::add);
      }
      // a qualified name's own segments were judged above; the rest of the line is judged by simple names
      Matcher s = CAPITALISED.matcher(QUALIFIED.matcher(line).replaceAll(""));
      while (s.find()) {
        resolve(s.group(), imported, onDemand).flatMap(TrainerAssemblyScan::reason).ifPresent(why::add);
      }
      for (String w : why) {
        out.add(file + ":" + (i + 1) + ": " + w);
      }
    }
    return out;
  }

  /** Why naming {@code c} assembles a trainer, or empty when it does not. */
  static Optional<String> reason(Class<?> c) {
    if (TrainingTask.class.isAssignableFrom(c)) {
      return Optional.of("names the training task " + c.getSimpleName());
    }
    if (c.getPackageName().equals("dev.zephyr.train.optim") && !c.isEnum()) {
      return Optional.of("names the optimizer class " + c.getSimpleName());
    }
    if (c == ReferenceLogps.class) {
      return Optional.of("computes DPO reference log-probs (ReferenceLogps)");
    }
    return Optional.empty();
  }

  private static Optional<Class<?>> resolve(String simple, Map<String, String> imported, List<String> onDemand) {
    if (imported.containsKey(simple)) {
      return load(imported.get(simple));
    }
    for (String pkg : onDemand) {
      Optional<Class<?>> c = load(pkg + "." + simple);
      if (c.isPresent()) {
        return c;
      }
    }
    return Optional.empty();
  }

  /** The outermost class a qualified name starts with ({@code ...dpo.DpoTask} of {@code ...dpo.DpoTask.Batch}). */
  private static Optional<Class<?>> topLevelClass(String qualified) {
    String[] parts = qualified.split("\\.");
    StringBuilder name = new StringBuilder(parts[0]);
    for (int i = 1; i < parts.length; i++) {
      name.append('.').append(parts[i]);
      if (Character.isUpperCase(parts[i].charAt(0))) {
        return load(name.toString());
      }
    }
    return Optional.empty();
  }

  private static Optional<Class<?>> load(String name) {
    try {
      return Optional.of(Class.forName(name, false, TrainerAssemblyScan.class.getClassLoader()));
    } catch (ClassNotFoundException | LinkageError e) {
      return Optional.empty();
    }
  }

  /**
   * The source with comments and the contents of string, text-block and character literals replaced by spaces,
   * line breaks kept, so line numbers stay those of the file.
   */
  static String blankCommentsAndStrings(String src) {
    StringBuilder out = new StringBuilder(src.length());
    int i = 0;
    while (i < src.length()) {
      char c = src.charAt(i);
      if (src.startsWith("//", i)) {
        while (i < src.length() && src.charAt(i) != '\n') {
          out.append(' ');
          i++;
        }
      } else if (src.startsWith("/*", i)) {
        int end = src.indexOf("*/", i + 2);
        end = end < 0 ? src.length() : end + 2;
        blank(src, i, end, out);
        i = end;
      } else if (src.startsWith("\"\"\"", i)) {
        int end = src.indexOf("\"\"\"", i + 3);
        end = end < 0 ? src.length() : end + 3;
        blank(src, i, end, out);
        i = end;
      } else if (c == '"' || c == '\'') {
        int end = i + 1;
        while (end < src.length() && src.charAt(end) != c && src.charAt(end) != '\n') {
          end += src.charAt(end) == '\\' ? 2 : 1;
        }
        end = Math.min(src.length(), end + 1);
        blank(src, i, end, out);
        i = end;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static void blank(String src, int from, int to, StringBuilder out) {
    for (int k = from; k < to; k++) {
      out.append(src.charAt(k) == '\n' ? '\n' : ' ');
    }
  }
}
