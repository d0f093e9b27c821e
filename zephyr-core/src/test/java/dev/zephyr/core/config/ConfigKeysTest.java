package dev.zephyr.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigKeysTest {
  private static final List<String> KEYS = List.of("learning_rate", "lr_scheduler_type", "warmup_ratio",
      "warmup_steps", "max_length", "beta");

  @Test
  void distanceCountsInsertionsDeletionsSubstitutionsAndAdjacentSwaps() {
    assertThat(ConfigKeys.distance("learing_rate", "learning_rate")).isEqualTo(1); // one letter missing
    assertThat(ConfigKeys.distance("lraening_rate", "learning_rate")).isEqualTo(2); // two swaps
    assertThat(ConfigKeys.distance("beta", "btea")).isEqualTo(1); // one swap
    assertThat(ConfigKeys.distance("kitten", "sitting")).isEqualTo(3);
    assertThat(ConfigKeys.distance("", "abc")).isEqualTo(3);
  }

  @Test
  void suggestsTheClosestKeyWithinTwoEditsOrByPrefix() {
    assertThat(ConfigKeys.closest("learing_rate", KEYS)).contains("learning_rate");
    assertThat(ConfigKeys.closest("Learning_Rate", KEYS)).contains("learning_rate");
    assertThat(ConfigKeys.closest("warmup_step", KEYS)).contains("warmup_steps");
    assertThat(ConfigKeys.closest("max_len", KEYS)).as("prefix").contains("max_length");
    assertThat(ConfigKeys.closest("bet", KEYS)).as("one edit, and a prefix").contains("beta");
    assertThat(ConfigKeys.closest("push_to_hub", KEYS)).isEmpty();
    assertThat(ConfigKeys.closest("x", List.of("y"))).as("no key is one edit from everything").isEmpty();
  }

  @Test
  void theErrorNamesTheKeyTheFileTheLineAndTheSuggestion() {
    InvalidInputException e = ConfigKeys.unknown("sft.yaml", 7, "learing_rate", KEYS);
    assertThat(e.source()).isEqualTo("sft.yaml");
    assertThat(e.line()).isEqualTo(7);
    assertThat(e.field()).isEqualTo("learing_rate");
    assertThat(e).hasMessage("sft.yaml:7: field 'learing_rate': unknown key (did you mean 'learning_rate'?)");
    assertThat(ConfigKeys.unknown("a.yaml", 0, "judge.zzz", List.of("model", "base_url")))
        .hasMessage("a.yaml: field 'judge.zzz': unknown key (known keys here: base_url, model)");
  }

  @Test
  void findsTheLineOfAKeyInBlockAndFlowStyleButNotInComments(@TempDir Path dir) throws Exception {
    Path yaml = Files.writeString(dir.resolve("r.yaml"), """
        # learing_rate: in a comment
        name: x   # learing_rate: after a value
        stages:
          - dsft: {dataset: d.jsonl, learing_rate: 1}
        learing_rate: 2
        """);
    assertThat(ConfigKeys.lineOf(yaml, "learing_rate")).isEqualTo(4);
    assertThat(ConfigKeys.lineOf(yaml, "stages")).isEqualTo(3);
    assertThat(ConfigKeys.lineOf(yaml, "absent")).isZero();
    assertThat(ConfigKeys.lineOf(null, "name")).isZero();
  }

  record Endpoint(@JsonProperty("base_url") String baseUrl, @JsonProperty("model") String model) {}

  record Config(@JsonProperty("judge") Endpoint judge, @JsonProperty("seed") Long seed) {}

  @Test
  void translatesJacksonsRefusalWithThePathAndTheLine(@TempDir Path dir) throws Exception {
    Path yaml = Files.writeString(dir.resolve("c.yaml"), "seed: 1\njudge:\n  base_url: http://x\n  modle: gpt-4\n");
    assertThatThrownBy(() -> Json.strictYaml().readValue(yaml.toFile(), Config.class))
        .isInstanceOfSatisfying(UnrecognizedPropertyException.class, e -> {
          InvalidInputException mine = ConfigKeys.fromJackson(e, yaml);
          assertThat(mine.source()).isEqualTo(yaml.toString());
          assertThat(mine.field()).isEqualTo("judge.modle");
          assertThat(mine.line()).isEqualTo(4);
          assertThat(mine).hasMessageContaining("did you mean 'model'?");
        });
  }
}
