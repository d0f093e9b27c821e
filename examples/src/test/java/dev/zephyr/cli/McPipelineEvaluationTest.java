package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.generate.LocalChatModel;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.eval.mc.McEvaluator;
import dev.zephyr.eval.mc.McTask;
import dev.zephyr.eval.stage.McEvaluation;
import dev.zephyr.eval.stage.McSettings;
import dev.zephyr.train.pipeline.Dsft;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.PipelineResult;
import dev.zephyr.train.recipe.SftConfig;
import dev.zephyr.train.recipe.SftRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline's multiple-choice evaluation (Java API: SFT, then {@code mc}) reports what {@code zephyr mc} reports
 * for the model the SFT stage wrote, on the same task file.
 */
class McPipelineEvaluationTest {

  @Test
  void sftThenMcEvaluationReportsTheAccuracyOfZephyrMcOnTheTrainedModel(@TempDir Path dir) throws Exception {
    Path student = tinyStudent(dir.resolve("student"));
    StringBuilder demos = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      demos.append(("{\"messages\": [{\"role\": \"user\", \"content\": \"What is %d plus %d?\"}, {\"role\":"
          + " \"assistant\", \"content\": \"%d\"}]}\n").formatted(i, i + 1, 2 * i + 1));
    }
    Path data = Files.writeString(dir.resolve("demos.jsonl"), demos);
    Path task = TestData.path("mc", "tiny_generic.jsonl");

    SftConfig.Builder sft = SftConfig.builder().maxLength(64);
    sft.training().learningRate(1e-2).maxSteps(2).perDeviceTrainBatchSize(4).saveSteps(0).disableTqdm(true);
    PipelineResult result = Pipeline.dsft(Dsft.of(new SftRun(sft.build())).fromDataset(data))
        .evaluate(new McEvaluation(McSettings.of(task, "generic")))
        .modelLoader(LocalChatModel::fromDirectory)
        .seed(42)
        .run(student, dir.resolve("runs"));

    Path trained = dir.resolve("runs/01-dsft/model").toAbsolutePath();
    Map<String, Double> metrics = result.metrics("eval");
    Path out = dir.resolve("mc.json");
    CliRun cli = EvalCommandsTest.zephyr("mc", "--task", task.toString(), "--model", trained.toString(), "--out",
        out.toString());
    assertThat(cli.code()).as(cli.err()).isZero();
    JsonNode printed = Json.mapper().readTree(cli.out());
    assertThat(metrics.get("n")).isEqualTo(8.0);
    assertThat(List.of(metrics.get("acc"), metrics.get("acc_stderr"), metrics.get("acc_norm"),
        metrics.get("acc_norm_stderr"))).containsExactly(printed.get("acc").asDouble(),
        printed.get("acc_stderr").asDouble(), printed.get("acc_norm").asDouble(),
        printed.get("acc_norm_stderr").asDouble());
    assertThat(metrics.get("acc") * 8).isEqualTo(Math.rint(metrics.get("acc") * 8));
    // the stage's results.json is what `zephyr mc --out` writes
    Path results = dir.resolve("runs/02-eval/results/results.json");
    assertThat(Files.readString(results)).isEqualTo(Files.readString(out));

    // per item, the scores are McEvaluator's on the trained model, and differ from the student's before SFT
    List<JsonNode> samples = Jsonl.readAll(dir.resolve("runs/02-eval/results/samples.jsonl"));
    double[] trainedScores = scores(trained, task).perItem().get(0).loglikelihoods();
    double[] initialScores = scores(student, task).perItem().get(0).loglikelihoods();
    for (int j = 0; j < trainedScores.length; j++) {
      assertThat(samples.get(0).get("loglikelihoods").get(j).asDouble()).isEqualTo(trainedScores[j]);
    }
    assertThat(trainedScores).isNotEqualTo(initialScores);
  }

  @Test
  void aRecipeNamesTheMcEvaluationWithItsKeysAndAPathRelativeToTheRecipe(@TempDir Path dir) throws Exception {
    tinyStudent(dir.resolve("student"));
    Files.createDirectories(dir.resolve("data"));
    Files.copy(TestData.path("mc", "tiny_generic.jsonl"), dir.resolve("data/task.jsonl"));
    Files.writeString(dir.resolve("data/demos.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"},"
        + " {\"role\": \"assistant\", \"content\": \"Hello\"}]}\n");
    Path recipe = Files.writeString(dir.resolve("recipe.yaml"), """
        name: mc
        student: student
        work_dir: runs
        stages:
          - dsft: {dataset: data/demos.jsonl, max_length: 64, max_steps: 1, save_steps: 0, disable_tqdm: true}
          - evaluate: {mc: {task: data/task.jsonl, limit: 5, batch_size: 4}}
        """);
    CliRun run = CliRun.of("pipeline", "--config", recipe.toString());
    assertThat(run.code()).as(run.err()).isZero();
    JsonNode manifest = Json.mapper().readTree(dir.resolve("runs/02-eval/manifest.json").toFile());
    assertThat(manifest.get("config").get("evaluation").asText()).isEqualTo("mc");
    assertThat(manifest.get("config").get("stage").get("task").asText())
        .isEqualTo(dir.resolve("data/task.jsonl").toString());
    assertThat(manifest.get("metrics").get("n").asDouble()).isEqualTo(5.0);

    // the first five items only, each scored as McEvaluator scores it over the whole file
    List<JsonNode> samples = Jsonl.readAll(dir.resolve("runs/02-eval/results/samples.jsonl"));
    assertThat(samples).hasSize(5);
    McEvaluator.Result all = scores(dir.resolve("runs/01-dsft/model"), dir.resolve("data/task.jsonl"));
    for (int i = 0; i < 5; i++) {
      assertThat(samples.get(i).get("pred").asInt()).isEqualTo(all.perItem().get(i).predicted());
    }
    assertThat(manifest.get("metrics").get("acc").asDouble())
        .isEqualTo(all.perItem().subList(0, 5).stream().filter(it -> it.predicted() == it.gold()).count() / 5.0);
  }

  private static McEvaluator.Result scores(Path model, Path task) {
    try (LocalModels local = LocalModels.load(model, null, null, null)) {
      return new McEvaluator(local.loglikelihood(2048), 8).evaluate(McTask.read(task));
    }
  }

  /** A tiny random Llama with the Zephyr tokenizer and chat template. */
  static Path tinyStudent(Path dir) throws Exception {
    ModelConfig c = ModelConfig.builder().vocabSize(32000).hiddenSize(16).numAttentionHeads(2).numKeyValueHeads(1)
        .intermediateSize(24).numHiddenLayers(1).maxPositionEmbeddings(256).bosTokenId(1).eosTokenIds(List.of(2))
        .build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 3, 0.5, m)) {
      model.save(dir);
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(TestData.path("tokenizers", "zephyr", f), dir.resolve(f));
    }
    return dir;
  }
}
