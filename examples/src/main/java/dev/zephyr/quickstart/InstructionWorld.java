package dev.zephyr.quickstart;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The quickstart's synthetic instruction world: arithmetic, string and list manipulation, counting and formatting
 * tasks whose answers a program can check. The same seed always gives the same prompts, in the same order.
 *
 * <p>The house style for answers is one short sentence, {@code "The answer is X."}; the rule-based judge rewards
 * exactly that (correct, in format, concise).
 */
public final class InstructionWorld {
  /** Salt that separates the held-out prompt stream from the training stream. */
  private static final long HELD_OUT_SALT = 0x5eed_0ff5_e7L;
  private static final Pattern EXACT = Pattern.compile("The answer is (.+)\\.");
  private static final Pattern EMBEDDED = Pattern.compile("[Tt]he answer is (.+?)\\.(?=\\s|$)");

  private InstructionWorld() {}

  /** Training prompts and held-out prompts of one seed; no prompt is in both. */
  public record Split(List<Task> train, List<Task> heldOut) {
    public Split {
      train = List.copyOf(train);
      heldOut = List.copyOf(heldOut);
    }
  }

  /** {@code count} distinct tasks from {@code seed}, families drawn uniformly. */
  public static List<Task> tasks(long seed, int count) {
    return distinct(new Random(seed), count, Set.of());
  }

  /** Disjoint training and held-out tasks for {@code seed}. */
  public static Split split(long seed, int train, int heldOut) {
    List<Task> held = distinct(new Random(seed ^ HELD_OUT_SALT), heldOut, Set.of());
    Set<String> exclude = new LinkedHashSet<>();
    held.forEach(t -> exclude.add(t.prompt()));
    return new Split(distinct(new Random(seed), train, exclude), held);
  }

  private static List<Task> distinct(Random r, int count, Set<String> exclude) {
    TaskFamily[] families = TaskFamily.values();
    Set<String> seen = new LinkedHashSet<>();
    List<Task> out = new ArrayList<>();
    int attempts = 0;
    while (out.size() < count) {
      if (++attempts > 100 * (count + 10)) {
        throw new IllegalArgumentException("the world has fewer than " + count + " distinct prompts");
      }
      TaskFamily f = families[r.nextInt(families.length)];
      String prompt = f.prompt(r);
      if (exclude.contains(prompt) || !seen.add(prompt)) {
        continue;
      }
      out.add(new Task(promptId(prompt), f, prompt, f.answer(prompt).orElseThrow()));
    }
    return out;
  }

  /** The task a prompt text belongs to, if it is a prompt of this world. */
  public static Optional<Task> parse(String prompt) {
    for (TaskFamily f : TaskFamily.values()) {
      Optional<String> a = f.answer(prompt);
      if (a.isPresent()) {
        return Optional.of(new Task(promptId(prompt.strip()), f, prompt.strip(), a.get()));
      }
    }
    return Optional.empty();
  }

  /** The answer to any prompt of this world. */
  public static Optional<String> solve(String prompt) {
    return parse(prompt).map(Task::answer);
  }

  /** The house-style response to a bare answer. */
  public static String respond(String answer) {
    return "The answer is " + answer + ".";
  }

  /** The answer in a response written exactly in house style, if it is. */
  public static Optional<String> exactAnswer(String response) {
    Matcher m = EXACT.matcher(response.strip());
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** The answer stated anywhere in a response as "the answer is X.", if it is. */
  public static Optional<String> statedAnswer(String response) {
    Matcher m = EMBEDDED.matcher(response);
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    return Optional.ofNullable(last);
  }

  /** True when the response is exactly the reference answer in house style. */
  public static boolean isCorrect(Task task, String response) {
    return exactAnswer(response).map(task.answer()::equals).orElse(false);
  }

  /** A plausible wrong answer of the same shape (a nearby number, a misspelt word, a shuffled list). */
  public static String wrongAnswer(String answer, Random r) {
    if (answer.matches("\\d+")) {
      int v = Integer.parseInt(answer);
      int delta = 1 + r.nextInt(3);
      return String.valueOf(v >= delta && r.nextBoolean() ? v - delta : v + delta);
    }
    if (answer.matches("\\d+(, \\d+)+")) {
      List<Integer> xs = TaskFamily.parseNumbers(answer);
      int i = r.nextInt(xs.size());
      xs.set(i, xs.get(i) + 1 + r.nextInt(5));
      return TaskFamily.join(xs);
    }
    if (answer.length() == 1) {
      char c = answer.charAt(0);
      return String.valueOf((char) (Character.isUpperCase(c) ? 'A' + (c - 'A' + 1) % 26 : 'a' + (c - 'a' + 1) % 26));
    }
    // Words: drop one letter (keeps the answer's shape, never equal to it).
    int i = r.nextInt(answer.length());
    return answer.substring(0, i) + answer.substring(i + 1);
  }

  /** SHA-256 hex of the prompt, the way UltraFeedback-derived datasets compute {@code prompt_id}. */
  public static String promptId(String prompt) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(prompt.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
