package dev.zephyr.data.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.zephyr.core.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plain Jackson YAML mapper binds {@code zephyr aif --config} files through {@link AifConfig}'s own parser. */
class AifConfigBindingTest {
  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

  @Test
  void readValueGivesTheRecordTheCliLoaderGives(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("aif.yaml"), """
        prompts: prompts.jsonl
        output_dir: out
        completions_per_prompt: 3
        seed: 7
        pool:
          - {name: a, base_url: "http://x/v1", model: model-a}
          - {name: b, base_url: "http://y/v1", model: model-b, use_principles: false}
        judge: {base_url: "http://z/v1", model: judge}
        binarize: {chosen: overall, rejected: lowest, ties: drop}
        """);
    AifConfig bound = yaml.readValue(file.toFile(), AifConfig.class);
    assertThat(bound).isEqualTo(AifConfig.load(file));
    assertThat(bound.prompts()).isEqualTo(dir.resolve("prompts.jsonl"));
    assertThat(bound.outputDir()).isEqualTo(dir.resolve("out"));
    assertThat(bound.cache()).isEqualTo(dir.resolve("out/cache/responses.jsonl"));
    assertThat(bound.completionsPerPrompt()).isEqualTo(3);
    assertThat(bound.seed()).isEqualTo(7);
    assertThat(bound.rejected()).isEqualTo(Binarizer.RejectedBy.LOWEST);
    assertThat(bound.ties()).isEqualTo(Binarizer.TiePolicy.DROP);
  }

  @Test
  void aMisspeltKeyFailsNamingTheFileTheLineTheKeyAndTheSuggestion(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("aif.yaml"), """
        prompts: prompts.jsonl
        output_dir: out
        pool: [{name: a, base_url: "http://x/v1", model: m}, {name: b, base_url: "http://x/v1", model: n}]
        judge: {base_url: "http://x/v1", model: j}
        completion_per_prompt: 4
        """);
    String expected = file + ":5: field 'completion_per_prompt': unknown key (did you mean 'completions_per_prompt'?)";
    assertThatThrownBy(() -> yaml.readValue(file.toFile(), AifConfig.class))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining(expected);
    assertThatThrownBy(() -> AifConfig.load(file)).hasMessageContaining(expected);
  }

  @Test
  void textNotFromAFileNamesTheConfigTypeAndAnEmptyFileIsRefused(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> yaml.readValue("prompts: p.jsonl\noutput_dir: o\nsed: 1\n", AifConfig.class))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("AifConfig")
        .hasMessageContaining("'sed'").hasMessageContaining("did you mean 'seed'?");
    Path empty = Files.writeString(dir.resolve("empty.yaml"), "");
    assertThatThrownBy(() -> AifConfig.load(empty)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(empty.toString()).hasMessageContaining("expected a YAML mapping of AI-feedback keys");
  }
}
