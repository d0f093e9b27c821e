package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/** What every command has in common: exit codes, error lines, documented options, option names, log levels. */
class CliConventionsTest {
  @TempDir Path tmp;

  /** The program and every command and subcommand below it, each once. */
  private static List<CommandLine> allCommands() {
    List<CommandLine> all = new ArrayList<>();
    collect(ZephyrCli.commandLine(new ZephyrCli()), all);
    return all;
  }

  private static void collect(CommandLine cl, List<CommandLine> all) {
    if (all.stream().noneMatch(c -> c.getCommandSpec() == cl.getCommandSpec())) {
      all.add(cl);
      cl.getSubcommands().values().forEach(sub -> collect(sub, all));
    }
  }

  @Test
  void everyOptionAndPositionalIsDescribedAndEveryDefaultIsShown() {
    List<String> undescribed = new ArrayList<>();
    List<String> defaultNotShown = new ArrayList<>();
    List<CommandLine> commands = allCommands();
    for (CommandLine cl : commands) {
      String command = cl.getCommandSpec().qualifiedName();
      List<ArgSpec> args = new ArrayList<>(cl.getCommandSpec().args());
      for (ArgSpec arg : args) {
        String name = arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel();
        if (Arrays.stream(arg.description()).allMatch(String::isBlank)) {
          undescribed.add(command + " " + name);
        }
        if (arg instanceof OptionSpec o && o.defaultValue() != null && !o.hidden()
            && !renderedHelp(cl, o).contains("Default: " + o.defaultValue())) {
          defaultNotShown.add(command + " " + name);
        }
      }
    }
    assertThat(commands).extracting(c -> c.getCommandSpec().qualifiedName())
        .contains("zephyr mt-bench judge", "zephyr bench train", "zephyr alpaca-eval score", "zephyr help");
    assertThat(undescribed).as("options and positionals without a description").isEmpty();
    assertThat(defaultNotShown).as("options whose help does not show their default").isEmpty();
  }

  /** The help lines of one option, as {@code COMMAND --help} prints them. */
  private static String renderedHelp(CommandLine cl, OptionSpec option) {
    Help help = cl.getHelp();
    Help.Ansi.Text[][] rows = help.createDefaultOptionRenderer()
        .render(option, help.createDefaultParamLabelRenderer(), help.colorScheme());
    return Arrays.stream(rows).flatMap(Arrays::stream).map(Object::toString).collect(Collectors.joining(" "));
  }

  @Test
  void oneOptionNamePerConcept() {
    List<String> visible = new ArrayList<>();
    for (CommandLine cl : allCommands()) {
      for (OptionSpec o : cl.getCommandSpec().options()) {
        if (!o.hidden()) {
          visible.addAll(Arrays.asList(o.names()));
        }
      }
    }
    // a model directory is --model, a model's name in result files --model-id, a directory for reports --report-dir
    assertThat(visible).contains("--model", "--model-id", "--report-dir", "--max-new-tokens")
        .doesNotContain("--model-path", "--out-dir", "--max-new-token", "--generator", "--name", "--output");
  }

  @Test
  void oldSpellingsStillParseAsHiddenAliases() {
    ParseResult mc = ZephyrCli.commandLine(new ZephyrCli()).parseArgs("mc", "--task", "t.jsonl", "--model-path", "m");
    assertThat(((McCommand) mc.subcommand().commandSpec().userObject()).model).isEqualTo(Path.of("m"));
    ParseResult answer = ZephyrCli.commandLine(new ZephyrCli()).parseArgs("mt-bench", "answer", "--bench-dir", "b",
        "--model-path", "m", "--max-new-token", "6");
    MtBenchCommand.Answer a = (MtBenchCommand.Answer) answer.subcommand().subcommand().commandSpec().userObject();
    assertThat(a.modelUnderTest.model).isEqualTo(Path.of("m"));
    assertThat(a.maxNewTokens()).isEqualTo(6);
  }

  @Test
  void helpAndVersionExitWithZero() {
    CliRun help = CliRun.of("--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("Exit codes:").contains("--verbose");
    assertThat(CliRun.of("--version").code()).isZero();
    CliRun sub = CliRun.of("mt-bench", "judge", "--help");
    assertThat(sub.code()).isZero();
    assertThat(sub.out()).contains("--judge-url").contains("Default: https://api.openai.com/v1");
    assertThat(CliRun.of("help", "mc").code()).isZero();
  }

  @Test
  void aMissingSubcommandIsAUsageErrorWithTheUsageOnStderr() {
    for (String[] args : List.of(new String[0], new String[] {"mt-bench"}, new String[] {"alpaca-eval"},
        new String[] {"bench"})) {
      CliRun r = CliRun.of(args);
      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).startsWith(String.join(" ", List.of("zephyr", String.join(" ", args))).strip() + ": ")
          .contains("Usage: ").contains("Commands:");
    }
  }

  @Test
  void usageErrorsExitWithTwoAndPointToHelp() {
    CliRun unknown = CliRun.of("sft", "--config", "x.yaml", "--learning-rate", "1");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).startsWith("zephyr sft: Unknown options: '--learning-rate', '1'")
        .contains("Try 'zephyr sft --help' for more information.");
    CliRun missing = CliRun.of("dpo");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("Missing required option: '--config=FILE.yaml'");
    CliRun badValue = CliRun.of("generate", "--model", "m", "--prompt-ids", "1", "--max-new-tokens", "many");
    assertThat(badValue.code()).isEqualTo(2);
    assertThat(badValue.err()).contains("--max-new-tokens").contains("many");
    CliRun neither = CliRun.of("alpaca-eval", "generate", "--eval-set", "e.json", "--out", "o.json");
    assertThat(neither.code()).isEqualTo(2);
    assertThat(neither.err()).startsWith("zephyr alpaca-eval generate: give either --model DIR or both --model-url");
    CliRun both = CliRun.of("mt-bench", "answer", "--bench-dir", "b", "--model", "m", "--model-url", "http://x/v1",
        "--model-name", "n");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).contains("not both");
  }

  /** One command line and the command that should name itself in the error line. */
  private record Case(String command, String... args) {}

  @Test
  void aMissingModelDirectoryFailsWithOneAndOneLineInEveryCommand() throws Exception {
    String model = tmp.resolve("no-such-model").toString();
    Path task = Files.writeString(tmp.resolve("task.jsonl"),
        "{\"context\": \"a\", \"choices\": [\"b\", \"c\"], \"gold\": 0}\n");
    Path bench = Files.createDirectories(tmp.resolve("mt_bench"));
    Files.writeString(bench.resolve("question.jsonl"),
        "{\"question_id\": 81, \"category\": \"writing\", \"turns\": [\"Hi\", \"More\"]}\n");
    Path evalSet = Files.writeString(tmp.resolve("eval.json"), "[{\"instruction\": \"Hi\", \"output\": \"Hello\"}]");
    assertFailsNaming("no-such-model",
        new Case("zephyr logprobs", "logprobs", "--model", model, "--ids", "1,2"),
        new Case("zephyr generate", "generate", "--model", model, "--prompt-ids", "1,2"),
        new Case("zephyr generate", "generate", "--model", model, "--prompt", "Hi"),
        new Case("zephyr mc", "mc", "--model", model, "--task", task.toString()),
        new Case("zephyr lm-eval", "lm-eval", "--model", model, "--task", "arc_challenge", "--num-fewshot", "0",
            "--data", TestData.path("lm_eval").toString(), "--out", tmp.resolve("lm-eval.json").toString()),
        new Case("zephyr mt-bench answer", "mt-bench", "answer", "--model", model, "--bench-dir", bench.toString(),
            "--out", tmp.resolve("answers.jsonl").toString()),
        new Case("zephyr alpaca-eval generate", "alpaca-eval", "generate", "--model", model, "--eval-set",
            evalSet.toString(), "--out", tmp.resolve("outputs.json").toString()));
  }

  @Test
  void aMissingInputFileFailsWithOneInEveryCommand() {
    String missing = tmp.resolve("missing.file").toString();
    assertFailsNaming("missing.file",
        new Case("zephyr sft", "sft", "--config", missing),
        new Case("zephyr dpo", "dpo", "--config", missing),
        new Case("zephyr aif", "aif", "--config", missing, "--no-progress"),
        new Case("zephyr dsft-data", "dsft-data", "--config", missing),
        new Case("zephyr pipeline", "pipeline", "--config", missing),
        new Case("zephyr report", "report", "--metrics", missing),
        new Case("zephyr report", "report", "--lm-eval", missing),
        new Case("zephyr chat-template", "chat-template", "--tokenizer", tmp.toString(), "--input", missing),
        new Case("zephyr mt-bench show", "mt-bench", "show", "--bench-dir", missing, "--judgments", missing),
        new Case("zephyr alpaca-eval score", "alpaca-eval", "score", "--annotations", missing));
  }

  /** Each case exits with 1 and one line {@code COMMAND: ...} on stderr that names {@code path}; no stack trace. */
  private static void assertFailsNaming(String path, Case... cases) {
    for (Case c : cases) {
      CliRun r = CliRun.of(c.args());
      assertThat(r.code()).as(String.join(" ", c.args()) + "\n" + r.err()).isEqualTo(1);
      List<String> lines = r.err().lines().filter(l -> l.startsWith(c.command() + ": ")).toList();
      assertThat(lines).as(r.err()).hasSize(1).allMatch(l -> l.contains(path));
      assertThat(r.err()).doesNotContain("\tat ");
    }
  }

  @Test
  void logsAreQuietByDefaultAndVerboseShowsInfoAndTheStackTrace() throws Exception {
    // a recipe with a Python-stack key (one WARN line) and a model directory that does not exist; the keys read are
    // logged at INFO
    Path yaml = Files.writeString(tmp.resolve("sft.yaml"), "model_name_or_path: " + tmp.resolve("no-model")
        + "\ndataset_path: " + tmp.resolve("d.jsonl") + "\noutput_dir: " + tmp.resolve("out")
        + "\npush_to_hub: true\n");
    Files.writeString(tmp.resolve("d.jsonl"), "{\"text\": \"hi\"}\n");
    Logger zephyr = (Logger) LoggerFactory.getLogger("dev.zephyr");
    var before = zephyr.getLevel();

    CliRun quiet = CliRun.of("sft", "--config", yaml.toString());
    assertThat(quiet.code()).isEqualTo(1);
    assertThat(quiet.err()).doesNotContain(" INFO ").doesNotContain("recipe keys read")
        .contains(" WARN ").contains("Python-stack keys with no meaning here, ignored: [push_to_hub]")
        .doesNotContain("\tat ").contains("zephyr sft: ");

    CliRun verbose = CliRun.of("sft", "--config", yaml.toString(), "--verbose");
    assertThat(verbose.code()).isEqualTo(1);
    assertThat(verbose.err()).contains(" INFO ").contains("recipe keys read: [")
        .contains("zephyr sft: ").contains("\tat dev.zephyr.");
    assertThat(CliRun.of("--verbose", "sft", "--config", yaml.toString()).err()).as("before the command too")
        .contains("recipe keys read");
    assertThat(zephyr.getLevel()).as("a run leaves the configured level behind").isEqualTo(before);
  }

  @Test
  void sftAndDpoHelpListTheRecipeKeysTheParserReads() {
    CliRun sft = CliRun.of("sft", "--help");
    assertThat(sft.code()).isZero();
    assertThat(sft.out()).contains("YAML keys").contains("learning_rate").contains("packing")
        .contains("model_name_or_path").doesNotContain("loss_type");
    CliRun dpo = CliRun.of("dpo", "--help");
    assertThat(dpo.out()).contains("YAML keys").contains("learning_rate").contains(" beta,")
        .contains("precompute_ref_log_probs").doesNotContain("packing");
    assertThat(dpo.out().lines()).allMatch(l -> l.length() <= 80);
  }
}
