package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.TestData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code --keep-16bit} on the commands that load a model under test: same numbers either way, bad values refused. */
class Keep16BitOptionTest {
  static int threads;

  @BeforeAll
  static void oneThread() {
    threads = dev.zephyr.core.testing.TorchThreads.useOne();
  }

  @AfterAll
  static void restoreThreads() {
    dev.zephyr.core.testing.TorchThreads.restore(threads);
  }

  private static final String FIXTURE = TestData.path("fixtures", "qwen2-tied-bf16").toString();

  @Test
  void logprobsAndGeneratePrintTheSameWithTheWeightsKeptOrWidened() {
    // logprobs keeps by default, generate widens by default; each is run the other way too
    List<String> logprobsKept = lines("logprobs", "--model", FIXTURE, "--ids", "1,42,43,44,45;1,5,9");
    List<String> logprobsWidened = lines("logprobs", "--model", FIXTURE, "--ids", "1,42,43,44,45;1,5,9",
        "--keep-16bit=false");
    assertThat(logprobsKept).hasSize(1).isEqualTo(logprobsWidened);

    List<String> generated = lines("generate", "--model", FIXTURE, "--prompt-ids", "1,5,9", "--max-new-tokens", "8");
    List<String> generatedKept = lines("generate", "--model", FIXTURE, "--prompt-ids", "1,5,9", "--max-new-tokens",
        "8", "--keep-16bit");
    assertThat(generated).hasSize(1).isEqualTo(generatedKept);
    assertThat(generated.get(0)).contains("\"completion_tokens\"");
  }

  @Test
  void aValueOtherThanTrueOrFalseIsAUsageErrorNamingTheOption() {
    CliRun r = CliRun.of("logprobs", "--model", FIXTURE, "--ids", "1,5", "--keep-16bit=maybe");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("--keep-16bit").contains("maybe");
  }

  @Test
  void everyCommandThatLoadsAModelUnderTestOffersIt() {
    for (List<String> command : List.of(List.of("mc"), List.of("lm-eval"), List.of("logprobs"), List.of("generate"),
        List.of("mt-bench", "answer"), List.of("alpaca-eval", "generate"))) {
      List<String> args = new java.util.ArrayList<>(command);
      args.add("--help");
      CliRun help = CliRun.of(args.toArray(String[]::new));
      assertThat(help.out() + help.err()).as(String.join(" ", command)).contains("--keep-16bit");
    }
  }

  private static List<String> lines(String... args) {
    CliRun r = CliRun.of(args);
    assertThat(r.code()).as(r.err()).isZero();
    return DecoderCommandsTest.jsonLines(r.out());
  }
}
