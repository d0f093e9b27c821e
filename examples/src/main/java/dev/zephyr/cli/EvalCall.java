package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Base of the evaluation subcommands: expected failures (bad input files, unreachable models, I/O) print one clear
 * {@code error: ...} line on stderr and exit with 1 instead of a stack trace.
 */
abstract class EvalCall implements Callable<Integer> {

  /** The command's work; returns the exit code. */
  abstract int execute() throws Exception;

  /** A usage error picocli reports with the command's usage help and exit code 2. */
  ParameterException badUsage(String message) {
    return new ParameterException(new CommandLine(this), message);
  }

  @Override
  public final Integer call() throws Exception {
    try {
      return execute();
    } catch (ZephyrException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }
}
