package dev.zephyr.quickstart;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The kinds of instruction in the miniature world. Each family writes prompts from a random source and solves its
 * own prompts from their text alone (so a rule-based teacher and judge can answer any prompt they are shown).
 */
public enum TaskFamily {
  ADD("What is (\\d+) plus (\\d+)\\?") {
    @Override String prompt(Random r) {
      return "What is " + r.nextInt(100) + " plus " + r.nextInt(100) + "?";
    }

    @Override String solve(Matcher m) {
      return String.valueOf(num(m, 1) + num(m, 2));
    }
  },
  SUBTRACT("What is (\\d+) minus (\\d+)\\?") {
    @Override String prompt(Random r) {
      int a = r.nextInt(100);
      return "What is " + a + " minus " + r.nextInt(a + 1) + "?";
    }

    @Override String solve(Matcher m) {
      return String.valueOf(num(m, 1) - num(m, 2));
    }
  },
  MULTIPLY("What is (\\d+) times (\\d+)\\?") {
    @Override String prompt(Random r) {
      return "What is " + (2 + r.nextInt(11)) + " times " + (2 + r.nextInt(11)) + "?";
    }

    @Override String solve(Matcher m) {
      return String.valueOf(num(m, 1) * num(m, 2));
    }
  },
  LARGER("Which number is larger, (\\d+) or (\\d+)\\?") {
    @Override String prompt(Random r) {
      int a = r.nextInt(100);
      int b = (a + 1 + r.nextInt(99)) % 100;
      return "Which number is larger, " + a + " or " + b + "?";
    }

    @Override String solve(Matcher m) {
      return String.valueOf(Math.max(num(m, 1), num(m, 2)));
    }
  },
  REVERSE("Reverse the letters of the word ([a-z]+)\\.") {
    @Override String prompt(Random r) {
      return "Reverse the letters of the word " + word(r) + ".";
    }

    @Override String solve(Matcher m) {
      return new StringBuilder(m.group(1)).reverse().toString();
    }
  },
  UPPERCASE("Write the word ([a-z]+) in capital letters\\.") {
    @Override String prompt(Random r) {
      return "Write the word " + word(r) + " in capital letters.";
    }

    @Override String solve(Matcher m) {
      return m.group(1).toUpperCase(Locale.ROOT);
    }
  },
  WORD_LENGTH("How many letters are in the word ([a-z]+)\\?") {
    @Override String prompt(Random r) {
      return "How many letters are in the word " + word(r) + "?";
    }

    @Override String solve(Matcher m) {
      return String.valueOf(m.group(1).length());
    }
  },
  COUNT_LETTER("How many times does the letter ([a-z]) appear in the word ([a-z]+)\\?") {
    @Override String prompt(Random r) {
      String w = word(r);
      // Mostly a letter of the word, sometimes one that is absent (answer 0).
      char c = r.nextInt(4) == 0 ? (char) ('a' + r.nextInt(26)) : w.charAt(r.nextInt(w.length()));
      return "How many times does the letter " + c + " appear in the word " + w + "?";
    }

    @Override String solve(Matcher m) {
      char c = m.group(1).charAt(0);
      return String.valueOf(m.group(2).chars().filter(ch -> ch == c).count());
    }
  },
  SORT("Sort these numbers from smallest to largest: ([0-9, ]+)\\.") {
    @Override String prompt(Random r) {
      return "Sort these numbers from smallest to largest: " + join(numbers(r)) + ".";
    }

    @Override String solve(Matcher m) {
      List<Integer> xs = parseNumbers(m.group(1));
      Collections.sort(xs);
      return join(xs);
    }
  },
  MAXIMUM("What is the largest number in the list ([0-9, ]+)\\?") {
    @Override String prompt(Random r) {
      return "What is the largest number in the list " + join(numbers(r)) + "?";
    }

    @Override String solve(Matcher m) {
      return String.valueOf(Collections.max(parseNumbers(m.group(1))));
    }
  },
  SUM("What is the sum of the numbers ([0-9, ]+)\\?") {
    @Override String prompt(Random r) {
      return "What is the sum of the numbers " + join(numbers(r)) + "?";
    }

    @Override String solve(Matcher m) {
      return String.valueOf(parseNumbers(m.group(1)).stream().mapToInt(Integer::intValue).sum());
    }
  },
  COUNT_WORDS("How many words are in the list ([a-z, ]+)\\?") {
    @Override String prompt(Random r) {
      List<String> ws = new ArrayList<>();
      int n = 2 + r.nextInt(5);
      for (int i = 0; i < n; i++) {
        ws.add(word(r));
      }
      return "How many words are in the list " + String.join(", ", ws) + "?";
    }

    @Override String solve(Matcher m) {
      return String.valueOf(m.group(1).split(", ").length);
    }
  },
  FIRST_LETTER("What is the first letter of the word ([a-z]+)\\?") {
    @Override String prompt(Random r) {
      return "What is the first letter of the word " + word(r) + "?";
    }

    @Override String solve(Matcher m) {
      return m.group(1).substring(0, 1);
    }
  },
  HYPHENATE("Join the words ([a-z]+) and ([a-z]+) with a hyphen\\.") {
    @Override String prompt(Random r) {
      return "Join the words " + word(r) + " and " + word(r) + " with a hyphen.";
    }

    @Override String solve(Matcher m) {
      return m.group(1) + "-" + m.group(2);
    }
  },
  REPEAT("Repeat the word ([a-z]+) (\\d) times, separated by spaces\\.") {
    @Override String prompt(Random r) {
      return "Repeat the word " + word(r) + " " + (2 + r.nextInt(3)) + " times, separated by spaces.";
    }

    @Override String solve(Matcher m) {
      return String.join(" ", Collections.nCopies(num(m, 2), m.group(1)));
    }
  };

  /** The nouns the world talks about: few, short and lower-case so the vocabulary stays tiny. */
  static final List<String> WORDS = List.of(
      "apple", "river", "garden", "tiger", "banana", "cloud", "stone", "music", "paper", "light",
      "water", "horse", "bread", "chair", "green", "house", "lemon", "mouse", "night", "ocean",
      "pencil", "rabbit", "silver", "summer", "table", "train", "window", "yellow", "candle", "forest",
      "kitten", "planet", "rocket", "shadow", "sugar", "turtle", "violin", "winter", "zebra", "orange");

  private final Pattern pattern;

  TaskFamily(String regex) {
    this.pattern = Pattern.compile(regex);
  }

  /** A fresh prompt of this family. */
  abstract String prompt(Random r);

  /** The answer to a prompt this family's pattern matched. */
  abstract String solve(Matcher m);

  /** The answer if {@code prompt} is exactly one of this family's prompts. */
  public Optional<String> answer(String prompt) {
    Matcher m = pattern.matcher(prompt.strip());
    return m.matches() ? Optional.of(solve(m)) : Optional.empty();
  }

  static String word(Random r) {
    return WORDS.get(r.nextInt(WORDS.size()));
  }

  static List<Integer> numbers(Random r) {
    int n = 3 + r.nextInt(3);
    List<Integer> xs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      xs.add(r.nextInt(50));
    }
    return xs;
  }

  static String join(List<Integer> xs) {
    return xs.stream().map(String::valueOf).collect(Collectors.joining(", "));
  }

  static List<Integer> parseNumbers(String list) {
    return Arrays.stream(list.split(",")).map(String::strip).map(Integer::parseInt)
        .collect(Collectors.toCollection(ArrayList::new));
  }

  static int num(Matcher m, int group) {
    return Integer.parseInt(m.group(group));
  }
}
