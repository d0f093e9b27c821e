package dev.zephyr.train.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.eval.Evaluation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    return Files.writeString(dir.resolve("recipe.yaml"), yaml);
  }

  @Test
  void parsesStagesAndResolvesPathsAgainstTheFile() throws Exception {
    Recipe r = Recipe.load(write("""
        name: tiny
        seed: 7
        student: models/base
        stages:
          - dsft: {dataset: data/sft.jsonl, learning_rate: 2.0e-5, num_train_epochs: 1}
          - aif: {preferences: data/prefs.jsonl}
          - ddpo: {beta: 0.1, lr_scheduler_type: linear}
          - evaluate: {mt_bench: {bench_dir: data/mt_bench}}
        """));
    assertThat(r.name()).isEqualTo("tiny");
    assertThat(r.seed()).isEqualTo(7);
    assertThat(r.student()).isEqualTo(dir.resolve("models/base"));
    assertThat(r.workDir()).isEqualTo(dir.resolve("runs/tiny"));
    assertThat(r.stages()).extracting(Recipe.StageSpec::kind).containsExactly("dsft", "aif", "ddpo", "evaluate");
    assertThat(r.stages().get(0).options()).containsEntry("dataset", dir.resolve("data/sft.jsonl").toString())
        .containsEntry("learning_rate", 2.0e-5);

    RecipeStages factory = mock(RecipeStages.class);
    SftStage sft = mock(SftStage.class);
    DpoStage dpo = mock(DpoStage.class);
    Evaluation mt = mock(Evaluation.class);
    when(factory.sft(any())).thenReturn(sft);
    when(factory.dpo(any())).thenReturn(dpo);
    when(factory.evaluation(eq("mt_bench"), any())).thenReturn(mt);
    when(factory.loader()).thenReturn(d -> null);
    Pipeline p = r.toPipeline(factory);
    assertThat(p.plan()).containsExactly("01-dsft", "02-aif", "03-ddpo", "04-eval");
    // Artifact keys stay with the pipeline; hyper-parameters go to the factory under their TRL names.
    verify(factory).sft(Map.of("learning_rate", 2.0e-5, "num_train_epochs", 1));
    verify(factory).dpo(Map.of("beta", 0.1, "lr_scheduler_type", "linear"));
    // paths inside a stage's options are bound by its config record, against the recipe's directory
    verify(factory).evaluation("mt_bench", Map.of("bench_dir", "data/mt_bench"));
    assertThat(r.baseDir()).isEqualTo(dir);
    assertThat(p.stages().get(0).given()).containsEntry(Artifacts.SFT_DATASET, dir.resolve("data/sft.jsonl"));
    assertThat(p.stages().get(1).given()).containsEntry(Artifacts.PREFERENCES, dir.resolve("data/prefs.jsonl"));
    p.validate();
  }

  @Test
  void almostOrderFromYaml() throws Exception {
    Recipe r = Recipe.load(write("""
        student: base
        stages:
          - rm: {comparisons: synthetic.jsonl}
          - bon: {n: 4}
          - sft: {learning_rate: 1.0e-5}
        """));
    RecipeStages factory = mock(RecipeStages.class);
    when(factory.rewardModel(any())).thenReturn(mock(RewardModelStage.class));
    when(factory.bestOfN(any())).thenReturn(mock(BestOfNStage.class));
    when(factory.sft(any())).thenReturn(mock(SftStage.class));
    Pipeline p = r.toPipeline(factory);
    assertThat(p.plan()).containsExactly("01-rm", "02-bon", "03-sft");
    verify(factory).bestOfN(Map.of("n", 4));
    p.validate();
  }

  @Test
  void errorsNameTheFileAndField() throws Exception {
    assertThatThrownBy(() -> Recipe.load(write("stages: [{dsft: {}}]\n")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("recipe.yaml").hasMessageContaining("field 'student'");
    assertThatThrownBy(() -> Recipe.load(write("student: m\nstages:\n  - dsft: {}\n  - dpo: {beta: 0.1}\n")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("field 'stages[1]'").hasMessageContaining("unknown stage 'dpo' (did you mean 'ddpo'?");
    assertThatThrownBy(() -> Recipe.load(write("student: m\nwork-dir: runs\nstages:\n  - dsft: {}\n")))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> {
          assertThat(e.field()).isEqualTo("work-dir");
          assertThat(e.line()).isEqualTo(2);
          assertThat(e).hasMessageContaining("did you mean 'work_dir'?");
        });
    assertThatThrownBy(() -> Recipe.load(write("student: m\nstages:\n  - ddpo: {preferences: [1, 2]}\n")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("stages[0].ddpo.preferences");
    assertThatThrownBy(() -> Recipe.load(write("student: m\nstages: []\n")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("field 'stages'");
  }
}
