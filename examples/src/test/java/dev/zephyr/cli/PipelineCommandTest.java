package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.zephyr.train.pipeline.DpoStage;
import dev.zephyr.train.pipeline.Recipe;
import dev.zephyr.train.pipeline.RecipeStages;
import dev.zephyr.train.pipeline.SftStage;
import dev.zephyr.train.pipeline.StageContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PipelineCommandTest {
  @TempDir Path dir;

  private Recipe builtin(String name) {
    PipelineCommand c = new PipelineCommand();
    new CommandLine(c).parseArgs("--config", "builtin:" + name);
    return c.loadRecipe();
  }

  @Test
  void builtInRecipesCarryThePublishedAndTheHandbookHyperparameters() {
    Recipe paper = builtin("zephyr-7b-beta");
    Map<String, Object> sft = paper.stages().get(0).options();
    assertThat(sft).containsEntry("learning_rate", 2.0e-5).containsEntry("lr_scheduler_type", "cosine")
        .containsEntry("warmup_ratio", 0.1).containsEntry("num_train_epochs", 1).containsEntry("max_length", 2048);
    Map<String, Object> dpo = paper.stages().get(2).options();
    assertThat(dpo).containsEntry("beta", 0.1).containsEntry("learning_rate", 5.0e-7)
        .containsEntry("num_train_epochs", 3).containsEntry("lr_scheduler_type", "linear")
        .containsEntry("warmup_ratio", 0.1);
    assertThat((int) dpo.get("per_device_train_batch_size") * (int) dpo.get("gradient_accumulation_steps"))
        .isEqualTo(32);

    Recipe handbook = builtin("zephyr-7b-beta-handbook");
    Map<String, Object> dpo2 = handbook.stages().get(2).options();
    assertThat(dpo2).containsEntry("beta", 0.01).containsEntry("num_train_epochs", 1)
        .containsEntry("lr_scheduler_type", "cosine").containsEntry("learning_rate", 5.0e-7);
    assertThat(handbook.stages()).extracting(Recipe.StageSpec::kind).containsExactly("dsft", "aif", "ddpo", "evaluate");
  }

  @Test
  void dryRunPrintsThePlanAndFailsOnMissingPaths() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cl =
        ZephyrCli.commandLine(new PipelineCommand(new PrintStream(buf, true, StandardCharsets.UTF_8)));
    cl.setErr(new java.io.PrintWriter(err, true));
    int code = cl.execute("--config", "builtin:zephyr-7b-beta", "--dry-run", "--work", dir.toString());
    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(code).as("missing inputs fail the check").isEqualTo(1);
    assertThat(out).contains("01-dsft").contains("02-aif").contains("03-ddpo").contains("04-eval").contains("05-eval")
        .contains("\"beta\":0.1").contains("[missing]").doesNotContain("all local paths exist");
    assertThat(err.toString()).startsWith("zephyr pipeline: ").contains("local path(s) missing");
  }

  @Test
  void runsARecipeWithTheGivenStagesAndTheRealStagesRefuseADirectoryThatIsNoModel() throws Exception {
    Path base = Files.createDirectories(dir.resolve("base"));
    Files.writeString(base.resolve("config.json"), "{}");
    Files.writeString(dir.resolve("sft.jsonl"), "{\"messages\": []}\n");
    Files.writeString(dir.resolve("prefs.jsonl"), "{\"prompt\": \"p\"}\n");
    Path recipe = Files.writeString(dir.resolve("r.yaml"), """
        name: t
        student: base
        stages:
          - dsft: {dataset: sft.jsonl, learning_rate: 1.0e-4}
          - ddpo: {preferences: prefs.jsonl, beta: 0.1}
        """);
    RecipeStages factory = mock(RecipeStages.class);
    SftStage sft = mock(SftStage.class);
    DpoStage dpo = mock(DpoStage.class);
    when(factory.sft(any())).thenReturn(sft);
    when(factory.dpo(any())).thenReturn(dpo);
    when(sft.train(any(), any(), any())).thenAnswer(inv -> {
      StageContext ctx = inv.getArgument(2);
      return Files.writeString(Files.createDirectories(ctx.dir()).resolve("m"), "sft");
    });
    when(dpo.train(any(), any(), any())).thenAnswer(inv -> {
      StageContext ctx = inv.getArgument(2);
      ctx.metric("rewards/accuracies", 1.0);
      return Files.writeString(Files.createDirectories(ctx.dir()).resolve("m"), "dpo");
    });
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code = new CommandLine(new PipelineCommand(factory, new PrintStream(buf, true, StandardCharsets.UTF_8)))
        .execute("--config", recipe.toString());
    assertThat(code).isZero();
    verify(dpo).train(any(), any(), any());
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("[01-dsft] running")
        .contains("final model: " + dir.resolve("runs/t/02-ddpo/m"));
    assertThat(dir.resolve("runs/t/02-ddpo/manifest.json")).exists();

    // the real stages (ReadyStages) cannot train 'base', which holds no weights or tokenizer
    assertThat(ZephyrCli.commandLine(new PipelineCommand()).execute("--config", recipe.toString(), "--work",
        dir.resolve("real").toString())).isEqualTo(1);
    assertThat(Files.readString(dir.resolve("real/01-dsft/manifest.json"))).contains("\"status\" : \"failed\"")
        .contains("tokenizer.json");
    assertThat(ZephyrCli.commandLine(new PipelineCommand()).execute("--config", "builtin:nope")).isEqualTo(1);
  }
}
