package dev.zephyr.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code zephyr} command-line program: {@code java -jar examples/target/zephyr.jar <command>}. */
@Command(
    name = "zephyr",
    mixinStandardHelpOptions = true,
    version = "zephyr 0.1.0-SNAPSHOT",
    description = "Align small open LLMs the Zephyr way: dSFT, AI feedback, dDPO, evaluation.",
    subcommands = {
      CommandLine.HelpCommand.class,
      PipelineCommand.class,
      MtBenchCommand.class,
      AlpacaEvalCommand.class,
      McCommand.class,
      ReportCommand.class,
      AifCommand.class,
      BenchCommand.class,
      SftCommand.class,
      DpoCommand.class,
      ChatTemplateCommand.class,
      DsftDataCommand.class,
      GenerateCommand.class,
      LogprobsCommand.class,
      QuickstartCommand.class,
      DemoCommand.class,
    })
public final class ZephyrCli implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the program and returns its exit code (tests call this instead of {@link #main}). */
  public static int run(String... args) {
    Runtime.configureDefaults();
    return new CommandLine(new ZephyrCli()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
