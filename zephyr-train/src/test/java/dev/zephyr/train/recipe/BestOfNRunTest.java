package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.data.almost.RmspSelfPlay;
import dev.zephyr.data.rows.SftRecord;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.pipeline.RewardModeling;
import dev.zephyr.train.reward.ChatRewardModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ready best-of-N stage: the student samples, the reward model keeps the best, SFT rows come out. */
class BestOfNRunTest {

  private static Path rewardModel(Path dir, Path student) {
    Path rm = dir.resolve("rm");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel decoder = LlamaModel.load(student, m)) {
      dev.zephyr.train.reward.RewardModel.withNewHead(decoder, 1.0, 3).save(rm, student);
    }
    return rm;
  }

  private static PipelineResult play(Path student, Path rm, Path seeds, int bestOf, Path work) {
    BestOfNConfig cfg = BestOfNConfig.fromOptions(Map.of("seeds", seeds.toString(), "best_of", bestOf,
        "max_new_tokens", 6, "max_length", 64), "bon", work);
    return Pipeline.empty().then(RewardModeling.trained(rm)).bestOfN(new BestOfNRun(cfg)).seed(11).run(student, work);
  }

  @Test
  void keepsTheHighestRewardedAnswerAndWritesMessagesRows(@TempDir Path dir) throws Exception {
    Path student = RewardRunTest.tinyModel(dir);
    Path rm = rewardModel(dir, student);
    Path seeds = Files.writeString(dir.resolve("seeds.jsonl"), """
        {"id": "q1", "question": "What is 2 plus 2?"}
        {"id": "q2", "question": "Name a colour."}
        {"id": "q3", "question": "Say hello."}
        """);
    PipelineResult four = play(student, rm, seeds, 4, dir.resolve("four"));
    Path demos = four.stages().get(1).artifact(Artifacts.SFT_DATASET);
    assertThat(demos).isEqualTo(dir.resolve("four/02-bon/demonstrations.jsonl"));
    List<SftRecord> rows = Jsonl.readAll(demos, SftRecord.class);
    assertThat(rows).extracting(SftRecord::prompt)
        .containsExactly("What is 2 plus 2?", "Name a colour.", "Say hello.");
    assertThat(rows).allSatisfy(r -> assertThat(r.messages()).extracting(Message::role)
        .containsExactly(Role.USER, Role.ASSISTANT));
    assertThat(four.metrics("bon")).containsEntry("dialogues", 3.0).containsKey("mean_reward");

    List<RmspSelfPlay.Dialogue> kept = JsonlAppender.readComplete(dir.resolve("four/02-bon/dialogues.jsonl"),
        RmspSelfPlay.Dialogue.class);
    try (NDManager m = NDManager.newBaseManager(); Tokenizer tok = Tokenizer.load(rm);
        dev.zephyr.train.reward.RewardModel loaded = dev.zephyr.train.reward.RewardModel.load(rm, m)) {
      double[] again = new ChatRewardModel(loaded, ChatTokenizer.of(tok), 1, 64)
          .score(kept.stream().map(RmspSelfPlay.Dialogue::messages).toList());
      for (int i = 0; i < kept.size(); i++) {
        assertThat(kept.get(i).rewards().get(0)).as("recorded reward of dialogue %d is the reward model's", i)
            .isCloseTo(again[i], within(1e-4));
      }
    }

    // one candidate per turn is the first of the four (same seeds): best of four never scores below it
    PipelineResult one = play(student, rm, seeds, 1, dir.resolve("one"));
    List<RmspSelfPlay.Dialogue> single = JsonlAppender.readComplete(dir.resolve("one/02-bon/dialogues.jsonl"),
        RmspSelfPlay.Dialogue.class);
    for (int i = 0; i < kept.size(); i++) {
      assertThat(kept.get(i).rewards().get(0)).isGreaterThanOrEqualTo(single.get(i).rewards().get(0) - 1e-4);
    }
    assertThat(four.metrics("bon").get("mean_reward")).isGreaterThanOrEqualTo(one.metrics("bon").get("mean_reward")
        - 1e-4);
  }

  @Test
  void optionsUseTheirYamlNamesAndRefuseUnknownKeys(@TempDir Path dir) {
    BestOfNConfig c = BestOfNConfig.fromOptions(Map.of("seeds", "q.jsonl", "turns", 2), "recipe stage bon", dir);
    assertThat(c.seeds()).isEqualTo(dir.resolve("q.jsonl"));
    assertThat(new BestOfNRun(c).config()).containsEntry("best_of", 4).containsEntry("turns", 2)
        .containsEntry("temperature", 1.0).containsEntry("top_p", 0.9).containsEntry("max_new_tokens", 768);
    assertThatThrownBy(() -> BestOfNConfig.fromOptions(Map.of("seeds", "q", "best_of_n", 4), "recipe stage bon", dir))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("recipe stage bon")
        .hasMessageContaining("best_of_n");
    assertThatThrownBy(() -> BestOfNConfig.fromOptions(Map.of("seeds", "q", "best_of", 0), "recipe stage bon", dir))
        .hasMessageContaining("recipe stage bon").hasMessageContaining("best_of");
    assertThatThrownBy(() -> BestOfNConfig.fromOptions(Map.of("best_of", 2), "recipe stage bon", dir))
        .hasMessageContaining("seeds");
  }
}
