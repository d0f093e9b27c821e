package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.train.rl.PpoConfig;
import dev.zephyr.train.rl.RlooConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plain Jackson YAML mapper binds the ALMoST and RL stage configs through the parsers their CLI loaders use: the same
 * record, and the same refusal of a misspelt key (file, line, key, suggestion).
 */
class StageConfigBindingTest {
  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

  private static String misspelt(Path file, int line, String key, String suggestion) {
    return file + ":" + line + ": field '" + key + "': unknown key (did you mean '" + suggestion + "'?)";
  }

  @Test
  void rmspFilesBindToTheRecordTheLoaderGives(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("rmsp.yaml"), """
        model_name_or_path: runs/base
        reward_model_path: runs/rm
        output_dir: data/rmsp
        seed: 3
        seeds: questions.jsonl
        best_of: 6
        temperature: 0.8
        """);
    RmspConfig bound = yaml.readValue(file.toFile(), RmspConfig.class);
    assertThat(bound).isEqualTo(RmspConfig.load(file));
    assertThat(bound.model()).isEqualTo(dir.resolve("runs/base"));
    assertThat(bound.seed()).isEqualTo(3);
    assertThat(bound.selfPlay().bestOf()).isEqualTo(6);
    assertThat(bound.selfPlay().seeds()).isEqualTo(dir.resolve("questions.jsonl"));
    assertThat(bound.selfPlay().sampling().temperature()).isEqualTo(0.8);

    Path typo = Files.writeString(dir.resolve("typo.yaml"), """
        model_name_or_path: runs/base
        reward_model_path: runs/rm
        output_dir: data/rmsp
        seeds: questions.jsonl
        bestof: 6
        """);
    String expected = misspelt(typo, 5, "bestof", "best_of");
    assertThatThrownBy(() -> yaml.readValue(typo.toFile(), RmspConfig.class))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining(expected);
    assertThatThrownBy(() -> RmspConfig.load(typo)).hasMessageContaining(expected);
  }

  @Test
  void almostDataFilesBindToTheRecordTheLoaderGives(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("almost.yaml"), """
        prompts: q.jsonl
        output_dir: out
        demonstrations: hhh.txt
        batch_size: 4
        generators:
          - {name: big, local: models/big, shots: 3}
          - {name: small, base_url: "http://127.0.0.1:9/v1", model: s, shots: 1}
        """);
    AlmostDataConfig bound = yaml.readValue(file.toFile(), AlmostDataConfig.class);
    assertThat(bound).isEqualTo(AlmostDataConfig.load(file));
    assertThat(bound.batchSize()).isEqualTo(4);
    assertThat(bound.generators()).extracting(g -> g.config().name()).containsExactly("big", "small");
    assertThat(bound.generators().get(1).demonstrations()).isEqualTo(dir.resolve("hhh.txt"));

    Path typo = Files.writeString(dir.resolve("typo.yaml"), """
        prompts: q.jsonl
        output_dir: out
        rankng: listed
        """);
    String expected = misspelt(typo, 3, "rankng", "ranking");
    assertThatThrownBy(() -> yaml.readValue(typo.toFile(), AlmostDataConfig.class))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining(expected);
    assertThatThrownBy(() -> AlmostDataConfig.load(typo)).hasMessageContaining(expected);
  }

  @Test
  void aSelfPlayOptionsFileBindsAsTheStageOptionsDo(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bon.yaml"), """
        seeds: questions.jsonl
        best_of: 2
        turns: 3
        max_length: 256
        """);
    BestOfNConfig bound = yaml.readValue(file.toFile(), BestOfNConfig.class);
    assertThat(bound).isEqualTo(BestOfNConfig.fromOptions(
        Map.of("seeds", "questions.jsonl", "best_of", 2, "turns", 3, "max_length", 256), file.toString(), dir));
    assertThat(bound.seeds()).isEqualTo(dir.resolve("questions.jsonl"));
    assertThat(bound.turns()).isEqualTo(3);
    assertThat(bound.maxLength()).isEqualTo(256);

    Path typo = Files.writeString(dir.resolve("typo.yaml"), "seeds: q.jsonl\nturn: 2\n");
    assertThatThrownBy(() -> yaml.readValue(typo.toFile(), BestOfNConfig.class))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining(misspelt(typo, 2, "turn", "turns"));
    assertThatThrownBy(() -> yaml.readValue("seeds: q.jsonl\nbest_of: 0\n", BestOfNConfig.class))
        .hasMessageContaining("BestOfNConfig").hasMessageContaining("best_of")
        .hasMessageContaining("expected at least 1, found 0");
  }

  @Test
  void ppoAndRlooRecipesBindToTheRecordsTheLoadersGive(@TempDir Path dir) throws Exception {
    String base = """
        model_name_or_path: models/sft
        reward_model_path: models/rm
        dataset_path: data/prompts.jsonl
        output_dir: out/policy
        """;
    Path ppo = Files.writeString(dir.resolve("ppo.yaml"), base + "kl_coef: 0.1\nnum_ppo_epochs: 3\ngamma: 0.99\n");
    PpoConfig p = yaml.readValue(ppo.toFile(), PpoConfig.class);
    assertThat(p).isEqualTo(RlRecipes.loadPpo(ppo));
    assertThat(p.onPolicy().klCoef()).isEqualTo(0.1);
    assertThat(p.onPolicy().numPpoEpochs()).isEqualTo(3);
    assertThat(p.gamma()).isEqualTo(0.99);
    assertThat(p.modelNameOrPath()).isEqualTo(Path.of("models/sft"));

    Path rloo = Files.writeString(dir.resolve("rloo.yaml"), base + "rloo_k: 4\nnormalize_advantage: true\n");
    RlooConfig r = yaml.readValue(rloo.toFile(), RlooConfig.class);
    assertThat(r).isEqualTo(RlRecipes.loadRloo(rloo));
    assertThat(r.rlooK()).isEqualTo(4);

    Path typo = Files.writeString(dir.resolve("typo.yaml"), base + "kl_coeff: 0.1\n");
    String expected = misspelt(typo, 5, "kl_coeff", "kl_coef");
    assertThatThrownBy(() -> yaml.readValue(typo.toFile(), PpoConfig.class))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining(expected);
    assertThatThrownBy(() -> RlRecipes.loadPpo(typo)).hasMessageContaining(expected);
    assertThatThrownBy(() -> yaml.readValue(typo.toFile(), RlooConfig.class)).hasMessageContaining(expected);
    assertThatThrownBy(() -> RlRecipes.loadRloo(typo)).hasMessageContaining(expected);
    assertThatThrownBy(() -> yaml.readValue(base + "rloo_kk: 2\n", RlooConfig.class))
        .hasMessageContaining("RlooConfig").hasMessageContaining("did you mean 'rloo_k'?");
  }
}
