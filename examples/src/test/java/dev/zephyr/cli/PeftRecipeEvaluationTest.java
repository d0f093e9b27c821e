package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code use_peft} recipe is evaluated on what its LoRA stage trained, and a stage given as a PEFT adapter directory
 * is evaluated as its base plus that adapter, giving the same answers as the merged model.
 */
class PeftRecipeEvaluationTest {
  @TempDir Path dir;

  @Test
  void aUsePeftStageAndAGivenAdapterDirectoryAreEvaluatedAlike() throws Exception {
    TinyModels.withZephyrTokenizer(dir);
    Files.writeString(dir.resolve("sft.jsonl"), """
        {"messages": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."}]}
        {"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi!"}]}
        """);
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      // the judge rates first turns 8 and second turns 5
      server.responder((model, req) -> req.messages().get(1).content().contains("<|The Start of Assistant A's")
          ? "Rating: [[5]]" : "Rating: [[8]]");
      String evaluate = """
            - evaluate:
                mt_bench: {bench_dir: %s, first_n: 2, max_new_token: 5, judge: {base_url: "%s", model: gpt-4,
                           api_key_env: ZEPHYR_TEST_UNSET_KEY}}
          """.formatted(TestData.path("mt_bench"), server.baseUrl());
      Path trained = Files.writeString(dir.resolve("lora.yaml"), """
          name: lora
          student: model
          work_dir: runs
          stages:
            - dsft: {dataset: sft.jsonl, use_peft: true, lora_r: 4, lora_alpha: 8, lora_target_modules: all-linear,
                     learning_rate: 0.05, max_steps: 2, max_length: 64, per_device_train_batch_size: 2,
                     save_steps: 0, disable_tqdm: true}
          """ + evaluate);
      CliRun run = CliRun.of("pipeline", "--config", trained.toString());
      assertThat(run.code()).as(run.err()).isZero();
      Path adapter = dir.resolve("runs/01-dsft/run/adapter");
      assertThat(adapter.resolve("adapter_config.json")).isRegularFile();
      JsonNode metrics = Json.mapper().readTree(dir.resolve("runs/02-eval/manifest.json").toFile()).get("metrics");
      assertThat(metrics.get("score").asDouble()).isEqualTo(6.5);

      // the adapter directory given as the trained model: the loader applies it to the base that it names
      Path given = Files.writeString(dir.resolve("given.yaml"), """
          name: given
          student: model
          work_dir: runs-given
          stages:
            - dsft: {model: %s}
          """.formatted(adapter) + evaluate);
      CliRun again = CliRun.of("pipeline", "--config", given.toString());
      assertThat(again.code()).as(again.err()).isZero();
      assertThat(turns(dir.resolve("runs-given"))).isEqualTo(turns(dir.resolve("runs")));
    }
  }

  /** The MT-Bench answers (turn texts) an evaluation stage wrote under {@code work}. */
  private static List<String> turns(Path work) throws Exception {
    try (Stream<Path> files = Files.walk(work)) {
      Path answers = files.filter(p -> p.toString().contains("model_answer") && p.toString().endsWith(".jsonl"))
          .findFirst().orElseThrow(() -> new AssertionError("no model_answer file under " + work));
      List<String> out = Jsonl.readAll(answers).stream().map(a -> a.get("choices").get(0).get("turns").toString())
          .toList();
      assertThat(out).hasSize(2);
      return out;
    }
  }
}
