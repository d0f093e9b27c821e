package dev.zephyr.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code zephyr} command-line program: {@code java -jar examples/target/zephyr.jar <command>}.
 *
 * <p>Every command exits with 0 on success, 1 when it fails while running (one line on stderr says why) and 2 on a
 * usage error; {@link #commandLine} sets that up in one place.
 */
@Command(
    name = "zephyr",
    mixinStandardHelpOptions = true,
    version = "zephyr 0.1.0-SNAPSHOT",
    description = "Align small open LLMs the Zephyr way: dSFT, AI feedback, dDPO, evaluation.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:failure while running, such as a missing or invalid input file or model directory (one line on"
          + " stderr says why; --verbose adds the stack trace)",
      "2:usage error: unknown or missing option, subcommand or option value",
    },
    subcommands = {
      CommandLine.HelpCommand.class,
      PipelineCommand.class,
      MtBenchCommand.class,
      AlpacaEvalCommand.class,
      McCommand.class,
      LmEvalCommand.class,
      ReportCommand.class,
      AifCommand.class,
      BenchCommand.class,
      SftCommand.class,
      DpoCommand.class,
      RmCommand.class,
      PpoCommand.class,
      RlooCommand.class,
      RmspCommand.class,
      AlmostDataCommand.class,
      ChatTemplateCommand.class,
      DsftDataCommand.class,
      GenerateCommand.class,
      LogprobsCommand.class,
      MergeAdapterCommand.class,
      ExportRecipeCommand.class,
      QuickstartCommand.class,
      DemoCommand.class,
    })
public final class ZephyrCli {

  // Not Runnable: picocli then answers a bare 'zephyr' with "Missing required subcommand", the usage and exit code 2.
  @Option(names = "--verbose", scope = ScopeType.INHERIT,
      description = "Log what the command does (default: only warnings and errors) and print the stack trace of"
          + " a failure.")
  boolean verbose;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the program and returns its exit code (tests call this instead of {@link #main}). */
  public static int run(String... args) {
    Runtime.configureDefaults();
    return commandLine(new ZephyrCli()).execute(args);
  }

  /**
   * A command line for {@code command} (the program, or one command on its own) with the program's conventions:
   * failures print one line and exit with 1, usage errors exit with 2, help shows every option's default, and
   * {@code --verbose} turns on INFO logging for the run.
   */
  public static CommandLine commandLine(Object command) {
    CommandLine cl = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
    showDefaultValues(cl);
    CliErrors errors = new CliErrors();
    cl.setExecutionExceptionHandler(errors);
    cl.setParameterExceptionHandler(errors);
    cl.setExecutionStrategy(parseResult -> {
      try (CliLogging ignored = CliLogging.forRun(isVerbose(cl))) {
        return new CommandLine.RunLast().execute(parseResult);
      }
    });
    return cl;
  }

  /** Whether {@code --verbose} was given; false for a command run on its own, outside the program. */
  static boolean isVerbose(CommandLine cl) {
    return cl.getCommandSpec().root().userObject() instanceof ZephyrCli z && z.verbose;
  }

  private static void showDefaultValues(CommandLine cl) {
    cl.getCommandSpec().usageMessage().showDefaultValues(true);
    cl.getSubcommands().values().forEach(ZephyrCli::showDefaultValues);
  }
}
