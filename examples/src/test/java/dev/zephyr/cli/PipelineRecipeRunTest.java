package dev.zephyr.cli;

import dev.zephyr.train.data.DatasetSource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.eval.alpacaeval.AlpacaEvalFiles;
import dev.zephyr.eval.alpacaeval.ModelOutput;
import dev.zephyr.eval.alpacaeval.PositionSwitch;
import dev.zephyr.train.pipeline.Recipe;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.eval.stage.Evaluations;
import dev.zephyr.train.recipe.BestOfNRun;
import dev.zephyr.train.recipe.DpoRun;
import dev.zephyr.train.recipe.ReadyStages;
import dev.zephyr.train.recipe.SftRun;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zephyr pipeline --config} with the real stages ({@link dev.zephyr.train.recipe.ReadyStages}) on a tiny model. */
class PipelineRecipeRunTest {
  @TempDir Path dir;

  private static final String SFT_DATA = """
      {"messages": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."}]}
      {"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi!"}]}
      {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4."}]}
      """;
  private static final String PREFS = """
      {"chosen": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4."}], "rejected": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "5."}]}
      {"prompt": "Capital of France?", "chosen": " Paris.", "rejected": " Lyon."}
      {"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": "Go away."}]}
      """;

  @Test
  void dsftAifDdpoRecipeRunsEndToEndAndARerunSkipsEveryStage() throws Exception {
    TinyModels.withZephyrTokenizer(dir); // dir/model
    Files.writeString(dir.resolve("sft.jsonl"), SFT_DATA);
    Files.writeString(dir.resolve("prefs.jsonl"), PREFS);
    Path recipe = Files.writeString(dir.resolve("tiny.yaml"), """
        name: tiny
        seed: 7
        student: model
        work_dir: runs
        stages:
          - dsft:
              dataset: sft.jsonl
              max_length: 64
              learning_rate: 1.0e-3
              max_steps: 2
              per_device_train_batch_size: 2
              logging_steps: 1
              save_steps: 1
              save_total_limit: 1
              disable_tqdm: true
          - aif: {preferences: prefs.jsonl}
          - ddpo:
              beta: 0.2
              loss_type: sigmoid
              learning_rate: 1.0e-3
              max_steps: 2
              max_length: 64
              per_device_train_batch_size: 2
              precompute_ref_log_probs: true
              logging_steps: 1
              save_steps: 0
              disable_tqdm: true
        """);
    CliRun first = CliRun.of("pipeline", "--config", recipe.toString());
    assertThat(first.code()).as(first.err()).isZero();
    Path runs = dir.resolve("runs");
    assertThat(first.out()).contains("[01-dsft] running").contains("[03-ddpo] running")
        .contains("final model: " + runs.resolve("03-ddpo/model"));

    JsonNode dsft = Json.mapper().readTree(runs.resolve("01-dsft/manifest.json").toFile());
    assertThat(dsft.get("status").asText()).isEqualTo("completed");
    assertThat(dsft.get("config").get("stage").get("learning_rate").asDouble()).isEqualTo(1.0e-3);
    assertThat(dsft.get("metrics").get("global_step").asDouble()).isEqualTo(2.0);
    assertThat(dsft.get("metrics").get("train_loss").asDouble()).isBetween(0.5, 20.0);
    // the trainer ran in the stage's run directory and left its checkpoint and log there; the model stands alone
    assertThat(runs.resolve("01-dsft/run/metrics.jsonl")).exists();
    assertThat(runs.resolve("01-dsft/run/checkpoint-2")).exists();
    for (String stage : List.of("01-dsft", "03-ddpo")) {
      try (java.util.stream.Stream<Path> files = Files.list(runs.resolve(stage).resolve("model"))) {
        assertThat(files.map(p -> p.getFileName().toString())).as(stage).containsExactlyInAnyOrder("config.json",
            "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json");
      }
    }

    JsonNode ddpo = Json.mapper().readTree(runs.resolve("03-ddpo/manifest.json").toFile());
    assertThat(ddpo.get("status").asText()).isEqualTo("completed");
    assertThat(ddpo.get("config").get("stage").get("beta").asDouble()).isEqualTo(0.2);
    JsonNode m = ddpo.get("metrics");
    assertThat(m.get("rewards/accuracies").asDouble()).isBetween(0.0, 1.0);
    assertThat(m.has("rewards/margins")).isTrue();
    assertThat(m.get("global_step").asDouble()).isEqualTo(2.0);
    // DPO started from the dSFT model: its input digest is 01-dsft's output
    assertThat(ddpo.get("inputs").toString()).contains("01-dsft");

    try (ChatModel finalModel = PipelineCommand.open(runs.resolve("03-ddpo/model"), ai.djl.Device.cpu())) {
      assertThat(finalModel.name()).isEqualTo("03-ddpo/model");
      var response = finalModel.complete(List.of(ChatRequest.of(List.of(Message.user("Hi")),
          SamplingParams.builder().temperature(0).maxTokens(3).build()))).get(0);
      assertThat(response.choices().get(0).completionTokens()).isBetween(1, 3);
    }

    CliRun second = CliRun.of("pipeline", "--config", recipe.toString());
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(second.out()).contains("[01-dsft] unchanged, skipped").contains("[02-aif] unchanged, skipped")
        .contains("[03-ddpo] unchanged, skipped").contains("01-dsft skipped").contains("03-ddpo skipped")
        .doesNotContain("running");
  }

  @Test
  void aifCollectsFeedbackFromThePoolAndDdpoTrainsOnIt() throws Exception {
    TinyModels.withZephyrTokenizer(dir);
    Files.writeString(dir.resolve("prompts.jsonl"), """
        {"prompt": "Explain topic 1 briefly.", "prompt_id": "p1"}
        {"prompt": "Explain topic 2 briefly.", "prompt_id": "p2"}
        {"prompt": "Explain topic 3 briefly.", "prompt_id": "p3"}
        """);
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      server.responder(FakeOpenAiServer::ratingOrAnswer);
      String url = server.baseUrl();
      Path recipe = Files.writeString(dir.resolve("aif.yaml"), """
          name: fb
          student: model
          work_dir: runs
          stages:
            - aif:
                prompts: prompts.jsonl
                completions_per_prompt: 2
                pool:
                  - {name: a, base_url: "%s", model: teacher-a, max_retries: 1, max_tokens: 32}
                  - {name: b, base_url: "%s", model: teacher-b, max_retries: 1, max_tokens: 32}
                judge: {base_url: "%s", model: judge, max_retries: 1}
                rubric: overall
                binarize: {chosen: overall, rejected: random, ties: keep}
                sample_student: true
                student_sampling: {temperature: 1.0, max_tokens: 4}
            - ddpo: {beta: 0.1, max_steps: 1, max_length: 64, per_device_train_batch_size: 2, save_steps: 0,
                     logging_steps: 1, disable_tqdm: true}
          """.formatted(url, url, url));
      CliRun run = CliRun.of("pipeline", "--config", recipe.toString());
      assertThat(run.code()).as(run.err()).isZero();
      Path aif = dir.resolve("runs/01-aif");
      List<JsonNode> completions = Jsonl.readAll(aif.resolve("completions.jsonl"));
      assertThat(completions).hasSize(3);
      // the student (the recipe's student model, as no dSFT ran) sampled in the pool with its own settings
      assertThat(completions.toString()).contains("\"student\"");
      JsonNode aifConfig = Json.mapper().readTree(aif.resolve("manifest.json").toFile()).get("config").get("stage");
      assertThat(aifConfig.get("student_sampling").get("max_tokens").asInt()).isEqualTo(4);
      assertThat(aifConfig.get("prompts").asText()).isEqualTo(dir.resolve("prompts.jsonl").toString());
      assertThat(aif.resolve("aif.yaml")).as("options are held in memory, not written back").doesNotExist();
      assertThat(Jsonl.readAll(aif.resolve("ratings.jsonl"))).hasSize(3);
      List<JsonNode> prefs = Jsonl.readAll(aif.resolve("preferences.jsonl"));
      JsonNode manifest = Json.mapper().readTree(aif.resolve("manifest.json").toFile());
      assertThat(manifest.get("metrics").get("preference_pairs").asDouble()).isEqualTo(prefs.size()).isPositive();
      assertThat(manifest.get("metrics").get("prompts").asDouble()).isEqualTo(3.0);
      JsonNode ddpo = Json.mapper().readTree(dir.resolve("runs/02-ddpo/manifest.json").toFile());
      assertThat(ddpo.get("inputs").get("preferences").get("path").asText())
          .isEqualTo(aif.resolve("preferences.jsonl").toString());
      assertThat(ddpo.get("metrics").has("rewards/accuracies")).isTrue();
      int calls = server.requestCount();

      // a rerun skips both stages and calls nobody
      CliRun again = CliRun.of("pipeline", "--config", recipe.toString());
      assertThat(again.code()).as(again.err()).isZero();
      assertThat(again.out()).contains("[01-aif] unchanged, skipped").contains("[02-ddpo] unchanged, skipped");
      assertThat(server.requestCount()).isEqualTo(calls);
    }
  }

  @Test
  void almostRecipeTrainsARewardModelPlaysBestOfNAndFineTunesOnTheDialogues() throws Exception {
    TinyModels.withZephyrTokenizer(dir);
    StringBuilder comparisons = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      comparisons.append("{\"prompt\": \"What is %d plus %d?\", \"chosen\": \"%d\", \"rejected\": \"no idea\"}\n"
          .formatted(i, i, 2 * i));
    }
    Files.writeString(dir.resolve("comparisons.jsonl"), comparisons);
    Files.writeString(dir.resolve("seeds.txt"), "What is 1 plus 1?\nName a colour.\n");
    Path recipe = Files.writeString(dir.resolve("almost.yaml"), """
        name: almost
        student: model
        work_dir: runs
        stages:
          - rm: {comparisons: comparisons.jsonl, max_length: 64, max_steps: 2, per_device_train_batch_size: 2,
                 save_steps: 0, logging_steps: 1, disable_tqdm: true}
          - bon: {seeds: seeds.txt, best_of: 2, max_new_tokens: 4, max_length: 64}
          - sft: {max_steps: 1, max_length: 64, per_device_train_batch_size: 2, save_steps: 0, logging_steps: 1,
                  disable_tqdm: true}
        """);
    CliRun run = CliRun.of("pipeline", "--config", recipe.toString());
    assertThat(run.code()).as(run.err()).isZero();
    Path runs = dir.resolve("runs");
    assertThat(runs.resolve("01-rm/model/config.json")).content().contains("LlamaForSequenceClassification");
    JsonNode rm = Json.mapper().readTree(runs.resolve("01-rm/manifest.json").toFile());
    assertThat(rm.get("config").get("stage").get("max_length").asInt()).isEqualTo(64);
    assertThat(rm.get("metrics").has("accuracy")).isTrue();
    List<JsonNode> demos = Jsonl.readAll(runs.resolve("02-bon/demonstrations.jsonl"));
    assertThat(demos).hasSize(2);
    assertThat(demos.get(0).get("messages").get(0).get("content").asText()).isEqualTo("What is 1 plus 1?");
    JsonNode sft = Json.mapper().readTree(runs.resolve("03-sft/manifest.json").toFile());
    assertThat(sft.get("inputs").toString()).contains("02-bon/demonstrations.jsonl");
    assertThat(run.out()).contains("final model: " + runs.resolve("03-sft/model"));
  }

  @Test
  void anAifStageWithFailedCallsFailsAndTheRerunFinishesIt() throws Exception {
    TinyModels.withZephyrTokenizer(dir);
    Files.writeString(dir.resolve("prompts.jsonl"), """
        {"prompt": "Explain topic 1 briefly.", "prompt_id": "p1"}
        {"prompt": "Explain topic 2 briefly.", "prompt_id": "p2"}
        """);
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      server.responder(FakeOpenAiServer::ratingOrAnswer).faults((key, attempt) -> FakeOpenAiServer.Fault.BAD_KEY);
      String url = server.baseUrl();
      Path recipe = Files.writeString(dir.resolve("aif.yaml"), """
          name: fb
          student: model
          work_dir: runs
          stages:
            - aif:
                prompts: prompts.jsonl
                completions_per_prompt: 2
                pool:
                  - {name: a, base_url: "%s", model: teacher-a, max_retries: 1, max_tokens: 32}
                judge: {base_url: "%s", model: judge, max_retries: 1}
                rubric: overall
          """.formatted(url, url));
      CliRun run = CliRun.of("pipeline", "--config", recipe.toString());
      assertThat(run.code()).isEqualTo(1);
      assertThat(run.err()).contains("AI feedback not finished").contains("HTTP 401");
      Path aif = dir.resolve("runs/01-aif");
      assertThat(aif.resolve("preferences.jsonl")).doesNotExist();

      server.faults((key, attempt) -> FakeOpenAiServer.Fault.NONE);
      CliRun again = CliRun.of("pipeline", "--config", recipe.toString());
      assertThat(again.code()).as(again.err()).isZero();
      assertThat(Jsonl.readAll(aif.resolve("preferences.jsonl"))).isNotEmpty();
      assertThat(Json.mapper().readTree(aif.resolve("manifest.json").toFile()).get("metrics").get("prompts")
          .asDouble()).isEqualTo(2.0);
    }
  }

  @Test
  void evaluateStageRunsMtBenchAndAlpacaEvalOnTheStudentWithAnHttpJudge() throws Exception {
    TinyModels.withZephyrTokenizer(dir);
    List<ModelOutput> ref = AlpacaEvalFiles.readModelOutputs(
        TestData.path("alpaca_eval", "reference_outputs_text_davinci_003_ae1.json")).subList(0, 6);
    AlpacaEvalFiles.writeJson(dir.resolve("eval_set.json"), ref);
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      // MT-Bench judge: 8 for first turns, 5 for second turns; AlpacaEval judge: the output shown first wins
      server.responder((model, req) -> req.messages().stream().anyMatch(m -> m.content().contains("model_1"))
          ? "[{'model': 'model_1', 'rank': 1}, {'model': 'model_2', 'rank': 2}]"
          : req.messages().get(1).content().contains("<|The Start of Assistant A's") ? "Rating: [[5]]"
          : "Rating: [[8]]");
      String judge = "{base_url: \"" + server.baseUrl() + "\", model: gpt-4, api_key_env: ZEPHYR_TEST_UNSET_KEY}";
      Path recipe = Files.writeString(dir.resolve("eval.yaml"), """
          name: ev
          student: model
          work_dir: runs
          stages:
            - evaluate:
                mt_bench: {bench_dir: %s, first_n: 2, max_new_token: 4, judge: %s}
                alpaca_eval: {eval_set: eval_set.json, annotator_prompt: %s, annotator: alpaca_eval_gpt4,
                              max_new_tokens: 4, judge: %s}
          """.formatted(TestData.path("mt_bench"), judge,
          TestData.path("alpaca_eval", "prompts", "alpaca_eval_gpt4.txt"), judge));
      CliRun run = CliRun.of("pipeline", "--config", recipe.toString());
      assertThat(run.code()).as(run.err()).isZero();
      Path runs = dir.resolve("runs");
      JsonNode mt = Json.mapper().readTree(runs.resolve("01-eval/manifest.json").toFile()).get("metrics");
      assertThat(mt.get("score").asDouble()).isEqualTo(6.5);
      assertThat(mt.get("turn1").asDouble()).isEqualTo(8.0);
      assertThat(mt.get("turn2").asDouble()).isEqualTo(5.0);
      long switched = ref.stream().filter(o -> PositionSwitch.isSwitched(o.instruction())).count();
      JsonNode ae = Json.mapper().readTree(runs.resolve("02-eval/manifest.json").toFile()).get("metrics");
      assertThat(ae.get("win_rate").asDouble()).isCloseTo(100.0 * switched / 6, within(1e-9));
      assertThat(ae.has("length_controlled_winrate")).isTrue();
    }
  }

  @Test
  void aStageResumesFromACheckpointWithOtherHyperParametersOnlyWithAllowConfigChange() throws Exception {
    TinyModels.withZephyrTokenizer(dir);
    Files.writeString(dir.resolve("sft.jsonl"), SFT_DATA);
    String recipeText = """
        name: tiny
        student: model
        work_dir: runs
        stages:
          - dsft:
              dataset: sft.jsonl
              max_length: 64
              learning_rate: 1.0e-3
              max_steps: 2
              per_device_train_batch_size: 2
              save_steps: 1
              disable_tqdm: true
        """;
    Path recipe = Files.writeString(dir.resolve("tiny.yaml"), recipeText);
    assertThat(CliRun.of("pipeline", "--config", recipe.toString()).code()).isZero();
    // as if a version with another learning rate wrote checkpoint-1 and the stage was then killed
    Path stage = dir.resolve("runs/01-dsft");
    Path manifest = stage.resolve("manifest.json");
    Files.writeString(manifest, Files.readString(manifest).replace("\"completed\"", "\"failed\""));
    try (java.util.stream.Stream<Path> s = Files.walk(stage.resolve("run/checkpoint-2"))) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    Path stored = stage.resolve("run/checkpoint-1/training_config.json");
    com.fasterxml.jackson.databind.node.ObjectNode config =
        (com.fasterxml.jackson.databind.node.ObjectNode) Json.mapper().readTree(stored.toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) config.get("config")).put("learning_rate", 5.0e-4);
    Files.writeString(stored, config.toString());

    CliRun refused = CliRun.of("pipeline", "--config", recipe.toString());
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("learning_rate: checkpoint 0.0005, now 0.001").contains("--allow-config-change");
    CliRun allowed = CliRun.of("pipeline", "--config", recipe.toString(), "--allow-config-change");
    assertThat(allowed.code()).as(allowed.err()).isZero();
    assertThat(allowed.out()).contains("[01-dsft] resuming");
    assertThat(stage.resolve("run/checkpoint-2")).exists();

    // the recipe key says how to resume, not what to train: adding it does not rerun the finished stage
    Files.writeString(recipe, recipeText + "      allow_config_change: true\n");
    CliRun again = CliRun.of("pipeline", "--config", recipe.toString());
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.out()).contains("[01-dsft] unchanged, skipped");
  }

  @Test
  void stageOptionsAreBoundOnceUnderTrlNamesAndPathsResolveAgainstTheRecipe() {
    ReadyStages stages = new ReadyStages(dir, Evaluations::of, d -> PipelineCommand.open(d, ai.djl.Device.cpu()));
    SftRun sft = (SftRun) stages.sft(Map.of("learning_rate", 3.0e-4, "lr_scheduler_type", "linear",
        "max_length", 128, "assistant_only_loss", true));
    assertThat(sft.settings().training().learningRate()).isEqualTo(3.0e-4);
    assertThat(sft.settings().training().lrSchedulerType()).isEqualTo(SchedulerType.LINEAR);
    assertThat(sft.settings().maxLength()).isEqualTo(128);
    assertThat(sft.settings().lossMode()).isEqualTo(dev.zephyr.core.tokenizer.LossMode.ASSISTANT_ONLY);
    assertThat(sft.config()).as("the pipeline's seed is used and recorded by the pipeline").doesNotContainKey("seed");

    DpoRun dpo = (DpoRun) stages.dpo(Map.of("beta", 0.05, "learning_rate", "5e-7", "seed", 3,
        "ref_model_name_or_path", "models/ref"));
    assertThat(dpo.settings().loss().beta()).isEqualTo(0.05);
    assertThat(dpo.settings().training().learningRate()).isEqualTo(5e-7);
    assertThat(dpo.config()).as("a stage's own seed is kept").containsEntry("seed", 3L);
    assertThat(dpo.settings().refModelNameOrPath()).isEqualTo(dir.resolve("models/ref"));

    BestOfNRun bon = (BestOfNRun) stages.bestOfN(Map.of("seeds", "q.jsonl", "best_of", 2));
    assertThat(bon.settings().seeds()).isEqualTo(dir.resolve("q.jsonl"));
    Evaluation mt = stages.evaluation("mt_bench", Map.of("bench_dir", "data/mt_bench",
        "judge", Map.of("base_url", "http://x/v1")));
    assertThat(mt.config()).containsEntry("bench_dir", dir.resolve("data/mt_bench").toString());
  }

  @Test
  void badOptionsFailWhenThePipelineIsPlanned() throws Exception {
    ReadyStages stages = new ReadyStages(dir, Evaluations::of, d -> PipelineCommand.open(d, ai.djl.Device.cpu()));
    assertThatThrownBy(() -> stages.evaluation("arena_hard", Map.of()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'arena_hard'")
        .hasMessageContaining("alpaca_eval, mc, mt_bench");
    assertThatThrownBy(() -> stages.evaluation("mt_bench", Map.of("bench_dir", "b")))
        .hasMessageContaining("evaluate.mt_bench").hasMessageContaining("'judge'");
    assertThatThrownBy(() -> stages.evaluation("mt_bench", Map.of("bench_dir", "b", "judge",
        Map.of("base_url", "http://x/v1"), "first_m", 3))).hasMessageContaining("'evaluate.mt_bench.first_m'");
    assertThatThrownBy(() -> stages.sft(Map.of("lr_scheduler_type", "sideways")))
        .hasMessageContaining("lr_scheduler_type");
    assertThatThrownBy(() -> stages.dpo(Map.of("output_dir", "x"))).hasMessageContaining("'output_dir'")
        .hasMessageContaining("is set by the pipeline");
    assertThatThrownBy(() -> stages.feedback(Map.of("output_dir", "x"))).hasMessageContaining("'output_dir'");
    assertThatThrownBy(() -> stages.rewardModel(Map.of("center_rewards_coefficient", -1)))
        .hasMessageContaining("center_rewards_coefficient");
    assertThatThrownBy(() -> stages.bestOfN(Map.of("best_of", 4))).hasMessageContaining("seeds");

    Files.createDirectories(dir.resolve("base"));
    Path recipe = Files.writeString(dir.resolve("r.yaml"), """
        name: e
        student: base
        stages:
          - ddpo: {preferences: p.jsonl}
          - evaluate: {arena_hard: {bench_dir: x}}
        """);
    CliRun r = CliRun.of("pipeline", "--config", recipe.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("unknown evaluation 'arena_hard'");
    assertThat(dir.resolve("runs/e")).doesNotExist(); // nothing ran

    // a misspelt evaluation key, or judge key, is refused before anything runs, with the closest key
    Files.writeString(recipe, """
        name: e
        student: base
        stages:
          - ddpo: {preferences: p.jsonl}
          - evaluate: {mt_bench: {bench_dir: x, batch_sise: 4, judge: {base_url: "http://127.0.0.1:9/v1"}}}
        """);
    CliRun typo = CliRun.of("pipeline", "--config", recipe.toString());
    assertThat(typo.code()).isEqualTo(1);
    assertThat(typo.err()).contains("evaluate.mt_bench.batch_sise").contains("did you mean 'batch_size'?");
    Files.writeString(recipe, Files.readString(recipe).replace("batch_sise: 4, ", "")
        .replace("127.0.0.1:9/v1\"", "127.0.0.1:9/v1\", max_retrys: 2"));
    CliRun judgeTypo = CliRun.of("pipeline", "--config", recipe.toString());
    assertThat(judgeTypo.code()).isEqualTo(1);
    assertThat(judgeTypo.err()).contains("evaluate.mt_bench.judge.max_retrys")
        .contains("did you mean 'max_retries'?");
    assertThat(dir.resolve("runs/e")).doesNotExist();
  }

  @Test
  void dryRunChecksTheStagesOptionsAndTheShippedRecipesPass() throws Exception {
    Path recipe = Files.writeString(dir.resolve("bad.yaml"), """
        student: base
        stages:
          - dsft: {dataset: sft.jsonl, lr_scheduler_type: sideways}
        """);
    CliRun bad = CliRun.of("pipeline", "--config", recipe.toString(), "--dry-run");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("lr_scheduler_type").contains("sideways");
    CliRun ok = CliRun.of("pipeline", "--config", "builtin:zephyr-7b-beta", "--dry-run", "--work",
        dir.resolve("zephyr-7b-beta").toString());
    // the options pass; only the data and models they name are not on this machine, which fails the check
    assertThat(ok.code()).as(ok.err()).isEqualTo(1);
    assertThat(ok.err().lines().filter(l -> l.startsWith("zephyr pipeline: ")))
        .singleElement().asString()
        .matches("zephyr pipeline: \\d+ local path\\(s\\) missing \\(marked \\[missing\\] above\\)");
    assertThat(ok.out()).contains("03-ddpo");
    // the handbook recipe holds out a test split (test_split_size) and evaluates on it: its options pass too, and
    // only its data and models are missing
    CliRun handbook = CliRun.of("pipeline", "--config", "builtin:zephyr-7b-beta-handbook", "--dry-run", "--work",
        dir.resolve("handbook").toString());
    assertThat(handbook.code()).as(handbook.err()).isEqualTo(1);
    assertThat(handbook.err()).doesNotContain("not supported yet").doesNotContain("unknown key");
    assertThat(handbook.err().lines().filter(l -> l.startsWith("zephyr pipeline: ")))
        .singleElement().asString()
        .matches("zephyr pipeline: \\d+ local path\\(s\\) missing \\(marked \\[missing\\] above\\)");
    assertThat(handbook.out()).contains("ddpo");
  }

  @Test
  @SuppressWarnings("unchecked")
  void evaluationPathsAreRelativeToTheRecipe() throws Exception {
    Path recipe = Files.writeString(dir.resolve("r.yaml"), """
        student: base
        stages:
          - evaluate: {mt_bench: {bench_dir: data/mt_bench, judge: {base_url: "http://localhost:1/v1"}}}
        """);
    Recipe r = Recipe.load(recipe);
    Map<String, Object> options = r.stages().get(0).options();
    // bound by the evaluation's settings record against the recipe's directory, not rewritten by the recipe
    Evaluation mt = new ReadyStages(r.baseDir(), Evaluations::of, d -> PipelineCommand.open(d, ai.djl.Device.cpu()))
        .evaluation("mt_bench", (Map<String, Object>) options.get("mt_bench"));
    assertThat(mt.config().get("bench_dir")).isEqualTo(dir.resolve("data/mt_bench").toString());
  }
}
