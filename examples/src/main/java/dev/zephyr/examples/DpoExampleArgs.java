package dev.zephyr.examples;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The arguments {@code MODEL_DIR PREFERENCES.jsonl OUTPUT_DIR [MAX_STEPS]} of the DPO example programs, checked before
 * anything loads.
 *
 * @param maxSteps the optimiser steps to stop after, or null for the recipe's epochs
 */
record DpoExampleArgs(Path model, Path preferences, Path output, Long maxSteps) {

  /** Arguments that were refused; the reason is already printed, the program exits with {@link #exitCode()}. */
  static final class Refused extends Exception {
    private final int exitCode;

    Refused(int exitCode) {
      super(null, null, false, false);
      this.exitCode = exitCode;
    }

    int exitCode() {
      return exitCode;
    }
  }

  /**
   * Checks {@code args}, printing on the error stream why they are refused: the usage (exit code 2) for a wrong count
   * or a MAX_STEPS that is no whole number, or the missing model directory or preferences file (exit code 1).
   */
  static DpoExampleArgs parse(String program, String usage, String... args) throws Refused {
    if (args.length != 3 && args.length != 4) {
      System.err.println(usage);
      throw new Refused(2);
    }
    Long maxSteps = null;
    if (args.length == 4) {
      try {
        maxSteps = Long.parseLong(args[3]);
      } catch (NumberFormatException e) {
        System.err.println(program + ": MAX_STEPS must be a whole number, got " + args[3]);
        throw new Refused(2);
      }
    }
    DpoExampleArgs a = new DpoExampleArgs(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), maxSteps);
    if (!Files.isRegularFile(a.model().resolve("config.json"))) {
      System.err.println(program + ": no config.json in model directory " + a.model());
      throw new Refused(1);
    }
    if (!Files.isRegularFile(a.preferences())) {
      System.err.println(program + ": preferences file not found: " + a.preferences());
      throw new Refused(1);
    }
    return a;
  }
}
