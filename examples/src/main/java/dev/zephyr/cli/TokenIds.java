package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.generate.PromptFormatter;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/** Token ids given on the command line ({@code generate --prompt-ids}, {@code logprobs --ids}): bad ones are usage errors. */
final class TokenIds {
  private TokenIds() {}

  /** {@code "1,5,9"} as ids; a value that is no id is a usage error naming {@code option}. */
  static int[] parse(CommandSpec spec, String option, String ids) {
    try {
      return PromptFormatter.parseIds(ids);
    } catch (ZephyrException e) {
      throw CliErrors.usageError(spec, option + ": " + e.getMessage());
    }
  }

  /** A usage error naming {@code option} when an id lies outside the model's vocabulary. */
  static void checkVocabulary(CommandSpec spec, String option, List<int[]> sequences, int vocabSize) {
    for (int[] sequence : sequences) {
      for (int id : sequence) {
        if (id >= vocabSize) {
          throw CliErrors.usageError(spec, option + ": token id " + id + " is outside the vocabulary (vocab_size "
              + vocabSize + ")");
        }
      }
    }
  }
}
