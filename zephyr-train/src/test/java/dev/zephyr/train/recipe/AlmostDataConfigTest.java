package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.data.almost.ConfigRanking;
import dev.zephyr.data.almost.GeneratorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The almost-data config: generator entries, both rankings, and refusals that name the key. */
class AlmostDataConfigTest {
  private static final String BASE = """
      prompts: q.jsonl
      output_dir: out
      demonstrations: hhh.txt
      %s
      generators:
        - {name: big, local: models/big, shots: 3, demonstrations: faithful.txt, prompt_quality: faithful, %s}
        - {name: small, base_url: "http://127.0.0.1:9/v1", model: s, shots: 1, temperature: 0.7, %s}
      """;

  private static AlmostDataConfig load(Path dir, String top, String big, String small) throws Exception {
    return AlmostDataConfig.load(Files.writeString(dir.resolve("a.yaml"), BASE.formatted(top, big, small)));
  }

  @Test
  void listedRankingFollowsTheOrderAndEntriesKeepTheirSettings(@TempDir Path dir) throws Exception {
    AlmostDataConfig c = load(dir, "seed: 7", "model_size_b: 1", "model_size_b: 7");
    assertThat(c.ranking()).isEqualTo(AlmostDataConfig.Ranking.LISTED);
    assertThat(c.seed()).isEqualTo(7);
    assertThat(c.batchSize()).isEqualTo(8);
    AlmostDataConfig.Generator big = c.generators().get(0);
    assertThat(big.config()).isEqualTo(new GeneratorConfig("big", 1, 3, GeneratorConfig.FAITHFUL));
    assertThat(big.demonstrations()).isEqualTo(dir.resolve("faithful.txt"));
    assertThat(big.provider().local()).isEqualTo(dir.resolve("models/big"));
    AlmostDataConfig.Generator small = c.generators().get(1);
    assertThat(small.demonstrations()).as("the top-level file").isEqualTo(dir.resolve("hhh.txt"));
    assertThat(small.provider().temperature()).isEqualTo(0.7);
    // listed: big above small although small is the larger model
    ConfigRanking listed = AlmostDataRun.ranking(c);
    assertThat(listed.ordered()).containsExactly("big", "small");
    assertThat(listed.prefers("big", "small")).isTrue();
    // the rule of thumb: 1B with 3 Faithful shots and 7B with 1 HHH shot are incomparable
    ConfigRanking thumb = AlmostDataRun.ranking(load(dir, "ranking: rule_of_thumb", "model_size_b: 1",
        "model_size_b: 7"));
    assertThat(thumb.prefers("big", "small")).isFalse();
    assertThat(thumb.prefers("small", "big")).isFalse();
    assertThat(AlmostDataRun.ranking(load(dir, "ranking: rule_of_thumb", "model_size_b: 7", "model_size_b: 1"))
        .prefers("big", "small")).isTrue();
  }

  @Test
  void badEntriesAreRefusedNamingTheKey(@TempDir Path dir) {
    assertThatThrownBy(() -> load(dir, "ranking: rule_of_thumb", "shots: 3", "shots: 1"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("generators[0].model_size_b");
    assertThatThrownBy(() -> load(dir, "", "model_size_b: 1", "shot: 1"))
        .hasMessageContaining("generators[1].shot").hasMessageContaining("shots");
    assertThatThrownBy(() -> load(dir, "ranking: best_first", "model_size_b: 1", "model_size_b: 1"))
        .hasMessageContaining("ranking");
    assertThatThrownBy(() -> load(dir, "seed: x", "model_size_b: 1", "model_size_b: 1"))
        .hasMessageContaining("seed");
    assertThatThrownBy(() -> load(dir, "agreement: {margin: 0.1}", "model_size_b: 1", "model_size_b: 1"))
        .hasMessageContaining("reward_model_path");
    assertThatThrownBy(() -> load(dir, "", "model_size_b: 1", "prompt_quality: great"))
        .hasMessageContaining("generators[1].prompt_quality");
    assertThatThrownBy(() -> AlmostDataConfig.load(Files.writeString(dir.resolve("twice.yaml"), """
        prompts: q.jsonl
        output_dir: out
        demonstrations: hhh.txt
        generators: [{name: a, local: m}, {name: a, local: n}]
        """))).hasMessageContaining("generators[1].name").hasMessageContaining("used twice");
  }
}
