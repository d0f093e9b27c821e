package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How every command reports trouble: a failure while running prints {@code zephyr COMMAND: what went wrong} on stderr
 * and exits with 1 (the stack trace only with {@code --verbose}); a usage error prints the problem and how to get
 * help, the usage itself for a command that needs a subcommand, and exits with 2.
 */
final class CliErrors implements IExecutionExceptionHandler, IParameterExceptionHandler {

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
    PrintWriter err = cl.getErr();
    boolean verbose = ZephyrCli.isVerbose(cl);
    err.println(name(cl) + ": " + describe(ex)
        + (verbose || expected(ex) ? "" : " (unexpected; --verbose prints the stack trace)"));
    if (verbose) {
      ex.printStackTrace(err);
    }
    err.flush();
    return cl.getCommandSpec().exitCodeOnExecutionException();
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println(name(cl) + ": " + ex.getMessage());
    if (!cl.getSubcommands().isEmpty()) {
      // a command group: its usage is the list of subcommands to choose from
      cl.usage(err);
    } else {
      UnmatchedArgumentException.printSuggestions(ex, err);
      err.println("Try '" + name(cl) + " --help' for more information.");
    }
    err.flush();
    return cl.getCommandSpec().exitCodeOnInvalidInput();
  }

  /** {@code zephyr COMMAND [SUBCOMMAND]}, also for a command run on its own (tests, embedding). */
  private static String name(CommandLine cl) {
    String name = cl.getCommandSpec().qualifiedName();
    return cl.getCommandSpec().root().userObject() instanceof ZephyrCli ? name : "zephyr " + name;
  }

  /** A usage error (exit code 2) that {@code spec}'s command found only while running, such as a bad combination. */
  static ParameterException usageError(CommandSpec spec, String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** Failures zephyr raises or expects (bad input, I/O, refused values): their message is the whole story. */
  private static boolean expected(Throwable t) {
    return t instanceof ZephyrException || t instanceof IOException || t instanceof UncheckedIOException
        || t instanceof IllegalArgumentException || t instanceof IllegalStateException;
  }

  /** The message, naming the exception type or the cause where the message alone would not say what failed. */
  static String describe(Throwable t) {
    if (t instanceof UncheckedIOException u && u.getCause() != null) {
      return describe(u.getCause());
    }
    if (t instanceof NoSuchFileException f) {
      return "no such file or directory: " + f.getFile();
    }
    String message = t.getMessage();
    if (message == null || message.isBlank()) {
      return t.getClass().getSimpleName() + (t.getCause() != null ? ": " + describe(t.getCause()) : "");
    }
    return expected(t) ? message.strip() : t.getClass().getSimpleName() + ": " + message.strip();
  }
}
