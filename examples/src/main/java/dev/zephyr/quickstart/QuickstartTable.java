package dev.zephyr.quickstart;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps the README's quickstart table equal to a recorded run ({@code scripts/update-quickstart-table} calls it):
 * {@code readme RESULTS.json README.md} rewrites the block between the markers from the results file;
 * {@code check EXPECTED.json ACTUAL.json} exits 1 when a new run's ablation differs from the recorded one.
 */
public final class QuickstartTable {
  public static final String BEGIN = "<!-- quickstart-table:begin (scripts/update-quickstart-table) -->";
  public static final String END = "<!-- quickstart-table:end -->";

  private QuickstartTable() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3 || !(args[0].equals("readme") || args[0].equals("check"))) {
      System.err.println("usage: QuickstartTable readme RESULTS.json README.md | check EXPECTED.json ACTUAL.json");
      System.exit(2);
    }
    QuickstartResults first = QuickstartResults.read(Path.of(args[1]));
    if (args[0].equals("readme")) {
      Path readme = Path.of(args[2]);
      Files.writeString(readme, withTable(Files.readString(readme), first), StandardCharsets.UTF_8);
      System.out.println("README table updated from " + args[1]);
      return;
    }
    String expected = first.ablation();
    String actual = QuickstartResults.read(Path.of(args[2])).ablation();
    if (!expected.equals(actual)) {
      System.err.println("quickstart results differ from " + args[1] + "\nrecorded:\n" + expected + "\nthis run:\n"
          + actual);
      System.exit(1);
    }
    System.out.println("quickstart results equal the recorded ones:\n" + actual);
  }

  /** {@code readme} with the block between the markers replaced by the results' ablation table. */
  static String withTable(String readme, QuickstartResults results) {
    int b = readme.indexOf(BEGIN);
    int e = readme.indexOf(END);
    if (b < 0 || e < b) {
      throw new IllegalArgumentException("README has no " + BEGIN + " ... " + END + " block");
    }
    return readme.substring(0, b + BEGIN.length()) + "\n" + block(results) + "\n" + readme.substring(e);
  }

  /** The fenced block the README shows. */
  static String block(QuickstartResults results) {
    return "```\n" + results.ablation().strip() + "\n```";
  }
}
