package dev.zephyr.train.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.tokenizer.TokenizerConfig;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.data.HoldOut;
import dev.zephyr.train.pipeline.Aif;
import dev.zephyr.train.pipeline.Ddpo;
import dev.zephyr.train.pipeline.Dsft;
import dev.zephyr.train.pipeline.Pipeline;
import dev.zephyr.train.pipeline.StageManifest;
import dev.zephyr.train.recipe.DpoConfig;
import dev.zephyr.train.recipe.DpoRun;
import dev.zephyr.train.recipe.SftConfig;
import dev.zephyr.train.recipe.SftRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HandbookExport} from the Pipeline API: rows rewritten in the columns TRL takes (and read back), the YAML
 * keys and values the handbook's scripts read, the global batch kept over the processes, and the stages it refuses.
 */
class HandbookExportTest {
  private static final Path STUDENT = TestData.path("tokenizers", "zephyr");

  @Test
  void exportsRowsInTrlColumnsAndTheStagesUnderHandbookKeys(@TempDir Path tmp) throws Exception {
    Path demos = Files.writeString(tmp.resolve("demos.jsonl"), """
        {"prompt": "Hi", "prompt_id": "a1", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]}
        """);
    Path evalDemos = Files.writeString(tmp.resolve("eval.jsonl"), """
        {"messages": [{"role": "user", "content": "3+3?"}, {"role": "assistant", "content": "6"}]}
        """);
    Path prefs = Files.writeString(tmp.resolve("prefs.jsonl"), """
        {"prompt": "Name a colour.", "chosen": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."}], "rejected": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Seven."}], "score_chosen": 8.0, "score_rejected": 2.0}
        {"prompt": "Say yes.", "chosen": "Yes.", "rejected": "No."}
        """);
    SftConfig.Builder sft = SftConfig.builder().maxLength(512).packing(false)
        .evalData(EvalData.files(List.of(evalDemos)));
    sft.training().learningRate(2e-5).numTrainEpochs(1).perDeviceTrainBatchSize(4).gradientAccumulationSteps(8)
        .evalStrategy(dev.zephyr.train.loop.IntervalStrategy.EPOCH);
    DpoConfig.Builder dpo = DpoConfig.builder().beta(0.01).maxLength(1024)
        .evalData(EvalData.heldOut(new HoldOut(2000, 0)))
        .lora(LoraConfig.of(16, 32).withTargetModules(List.of("q_proj", "v_proj")));
    dpo.training().learningRate(5e-7).perDeviceTrainBatchSize(8).gradientAccumulationSteps(16)
        .evalStrategy(dev.zephyr.train.loop.IntervalStrategy.STEPS).evalSteps(100).seed(7);
    Pipeline p = Pipeline.dsft(Dsft.of(new SftRun(sft.build())).fromDataset(demos))
        .aif(Aif.preferences(prefs))
        .ddpo(new DpoRun(dpo.build()))
        .seed(42);

    Path out = tmp.resolve("export");
    HandbookExport.ExportResult r = HandbookExport.of(p, STUDENT, tmp.resolve("work"),
        ExportOptions.defaults()).writeTo(out);

    assertThat(r.stages()).extracting(HandbookExport.ExportedStage::id).containsExactly("01-dsft", "03-ddpo");
    assertThat(r.pending()).isEmpty();
    // SFT rows: the messages only, as the file had them
    List<JsonNode> train = Jsonl.readAll(out.resolve("data/01-dsft/train.jsonl"));
    assertThat(train).hasSize(2);
    assertThat(train).allSatisfy(row -> assertThat(fields(row)).containsExactly("messages"));
    assertThat(train.get(1).get("messages").get(0).get("content").asText()).isEqualTo("Be brief.");
    assertThat(Jsonl.readAll(out.resolve("data/01-dsft/test.jsonl"))).singleElement()
        .satisfies(row -> assertThat(row.get("messages").get(1).get("content").asText()).isEqualTo("6"));
    // DPO rows: an explicit prompt, each completion without the prompt turn; string pairs stay strings
    List<JsonNode> pairs = Jsonl.readAll(out.resolve("data/03-ddpo/train.jsonl"));
    assertThat(pairs.get(0).toString()).isEqualTo("{\"prompt\":[{\"role\":\"user\",\"content\":\"Name a colour.\"}],"
        + "\"chosen\":[{\"role\":\"assistant\",\"content\":\"Blue.\"}],"
        + "\"rejected\":[{\"role\":\"assistant\",\"content\":\"Seven.\"}]}");
    assertThat(pairs.get(1).toString()).isEqualTo("{\"prompt\":\"Say yes.\",\"chosen\":\"Yes.\",\"rejected\":\"No.\"}");

    JsonNode sftYaml = Json.yaml().readTree(out.resolve("01-dsft.yaml").toFile());
    assertThat(sftYaml.get("model_name_or_path").asText()).isEqualTo(STUDENT.toAbsolutePath().toString());
    assertThat(sftYaml.get("dataset_name").asText()).isEqualTo("data/01-dsft");
    assertThat(sftYaml.get("chat_template").asText())
        .isEqualTo(TokenizerConfig.load(STUDENT).chatTemplate().orElseThrow());
    assertThat(sftYaml.get("max_length").asInt()).isEqualTo(512);
    assertThat(sftYaml.get("learning_rate").asDouble()).isEqualTo(2e-5);
    // 4 x 8 in one process is a global batch of 32: 4 x 1 x 8 processes
    assertThat(sftYaml.get("per_device_train_batch_size").asInt()).isEqualTo(4);
    assertThat(sftYaml.get("gradient_accumulation_steps").asInt()).isEqualTo(1);
    assertThat(sftYaml.get("eval_strategy").asText()).isEqualTo("epoch");
    assertThat(sftYaml.get("seed").asInt()).as("the pipeline's seed").isEqualTo(42);

    JsonNode dpoYaml = Json.yaml().readTree(out.resolve("03-ddpo.yaml").toFile());
    assertThat(dpoYaml.get("model_name_or_path").asText()).as("the dSFT stage's output").isEqualTo("out/01-dsft");
    JsonNode mixture = dpoYaml.get("dataset_mixture");
    assertThat(mixture.get("datasets").get(0).get("id").asText()).isEqualTo("data/03-ddpo");
    assertThat(mixture.get("datasets").get(0).get("columns").toString()).isEqualTo("[\"prompt\",\"chosen\",\"rejected\"]");
    assertThat(mixture.get("test_split_size").asInt()).isEqualTo(2000);
    assertThat(mixture.get("seed").asInt()).isZero();
    assertThat(dpoYaml.get("beta").asDouble()).isEqualTo(0.01);
    assertThat(dpoYaml.get("loss_type").asText()).isEqualTo("sigmoid");
    assertThat(dpoYaml.has("max_prompt_length")).isTrue();
    assertThat(dpoYaml.get("max_prompt_length").isNull()).isTrue();
    assertThat(dpoYaml.get("gradient_accumulation_steps").asInt()).isEqualTo(2);
    assertThat(dpoYaml.get("eval_steps").asInt()).isEqualTo(100);
    assertThat(dpoYaml.get("use_peft").asBoolean()).isTrue();
    assertThat(dpoYaml.get("lora_r").asInt()).isEqualTo(16);
    assertThat(dpoYaml.get("lora_alpha").isInt()).as("TRL's ModelConfig.lora_alpha is an int").isTrue();
    assertThat(dpoYaml.get("learning_rate").asDouble()).isEqualTo(5e-7);

    String launch = Files.readString(out.resolve("launch.sh"));
    assertThat(launch).contains("03-ddpo) run_stage 03-ddpo dpo.py 03-ddpo.yaml out/03-ddpo data/03-ddpo/train.jsonl ;;")
        .contains("01-dsft) run_stage 01-dsft sft.py 01-dsft.yaml out/01-dsft data/01-dsft/train.jsonl"
            + " data/01-dsft/test.jsonl ;;");
    String notes = Files.readString(out.resolve(HandbookExport.NOTES));
    assertThat(notes).contains("- 02-aif: AI feedback").contains("LoRA: the stage's `output_dir` holds a PEFT adapter")
        .contains("Global batch 128 kept");

    // a second export replaces the first; a directory with other files in it is refused
    Files.writeString(out.resolve("stale.txt"), "x");
    HandbookExport.of(p, STUDENT, tmp.resolve("work"), ExportOptions.defaults()).writeTo(out);
    assertThat(out.resolve("stale.txt")).doesNotExist();
    Path other = Files.createDirectories(tmp.resolve("other"));
    Files.writeString(other.resolve("mine.txt"), "keep");
    assertThatThrownBy(() -> HandbookExport.of(p, STUDENT, tmp.resolve("work"), ExportOptions.defaults())
        .writeTo(other)).isInstanceOf(InvalidInputException.class).hasMessageContaining("not an earlier export");
    assertThat(other.resolve("mine.txt")).hasContent("keep");
  }

  @Test
  void stagesTheHandbookCannotExpressFailNamingStageAndKey(@TempDir Path tmp) throws Exception {
    Path prefs = Files.writeString(tmp.resolve("p.jsonl"), "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n");
    Pipeline ownReference = Pipeline.empty().aif(Aif.preferences(prefs))
        .ddpo(new DpoRun(DpoConfig.builder().refModelNameOrPath(tmp.resolve("ref")).build()));
    assertThatThrownBy(() -> HandbookExport.of(ownReference, STUDENT, tmp, ExportOptions.defaults())
        .writeTo(tmp.resolve("a")))
        .isInstanceOfSatisfying(Inexpressible.class, e -> {
          assertThat(e.stage()).isEqualTo("02-ddpo");
          assertThat(e.key()).isEqualTo("ref_model_name_or_path");
        });
    assertThat(tmp.resolve("a")).doesNotExist();
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(x -> x.getFileName().toString())).as("no temporary directory left")
          .noneMatch(n -> n.contains(".export-"));
    }

    Pipeline completionOnly = Pipeline.dsft(Dsft.of(new SftRun(SftConfig.builder()
        .lossMode(dev.zephyr.core.tokenizer.LossMode.COMPLETION_ONLY).build())).fromDataset(prefs));
    assertThatThrownBy(() -> HandbookExport.of(completionOnly, STUDENT, tmp, ExportOptions.defaults())
        .writeTo(tmp.resolve("b")))
        .isInstanceOf(Inexpressible.class).hasMessageContaining("stage 01-dsft")
        .hasMessageContaining("completion_only_loss");

    DpoConfig.Builder odd = DpoConfig.builder();
    odd.training().perDeviceTrainBatchSize(3).gradientAccumulationSteps(1);
    Pipeline oddBatch = Pipeline.empty().aif(Aif.preferences(prefs)).ddpo(new DpoRun(odd.build()));
    assertThatThrownBy(() -> HandbookExport.of(oddBatch, STUDENT, tmp, ExportOptions.defaults())
        .writeTo(tmp.resolve("c")))
        .isInstanceOf(Inexpressible.class).hasMessageContaining("gradient_accumulation_steps")
        .hasMessageContaining("global batch of 3 (3 x 1) does not split evenly over 8 processes");
  }

  @Test
  void preferencesAnEarlierStageWroteComeFromItsManifestAndMissingOnesAreListed(@TempDir Path tmp)
      throws Exception {
    Pipeline p = Pipeline.empty().aif(new NoFeedback()).ddpo(new DpoRun(DpoConfig.builder().build()));
    Path work = tmp.resolve("work");
    HandbookExport.ExportResult before = HandbookExport.of(p, STUDENT, work, ExportOptions.defaults())
        .writeTo(tmp.resolve("before"));
    assertThat(before.pending()).containsExactly("02-ddpo");
    assertThat(tmp.resolve("before/data/02-ddpo/train.jsonl")).doesNotExist();
    assertThat(Files.readString(tmp.resolve("before/" + HandbookExport.NOTES))).contains("## Datasets still to provide")
        .contains("- 02-ddpo: `data/02-ddpo/train.jsonl` is not written: stage 01-aif writes them in zephyr");

    // once `zephyr pipeline` has run the feedback stage, its manifest names the pairs
    Path aifDir = Files.createDirectories(work.resolve("01-aif"));
    Files.writeString(aifDir.resolve("preferences.jsonl"),
        "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n");
    new StageManifest("aif", "01-aif", StageManifest.COMPLETED, "f", null, null,
        java.util.Map.of("preferences", "preferences.jsonl"), null, null, null, null, 1, null).write(aifDir);
    HandbookExport.ExportResult after = HandbookExport.of(p, STUDENT, work, ExportOptions.defaults())
        .writeTo(tmp.resolve("after"));
    assertThat(after.pending()).isEmpty();
    assertThat(Jsonl.readAll(tmp.resolve("after/data/02-ddpo/train.jsonl"))).singleElement()
        .satisfies(row -> assertThat(row.toString()).isEqualTo("{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}"));
  }

  /** A feedback stage that is never run: the export only plans. */
  private static final class NoFeedback implements dev.zephyr.train.pipeline.FeedbackStage {
    @Override
    public java.util.Map<String, Object> config() {
      return java.util.Map.of();
    }

    @Override
    public Path completions(dev.zephyr.train.pipeline.StageContext ctx) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Path ratings(Path completions, dev.zephyr.train.pipeline.StageContext ctx) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Path binarize(Path ratings, dev.zephyr.train.pipeline.StageContext ctx) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void yamlNumbersReadBackAsFloatsInYaml11() {
    assertThat(HandbookYaml.number(2e-5)).isEqualTo("2.0e-05");
    assertThat(HandbookYaml.number(5e-7)).isEqualTo("5.0e-07");
    assertThat(HandbookYaml.number(0.1)).isEqualTo("0.1");
    assertThat(HandbookYaml.number(1e7)).isEqualTo("1.0e+07");
    assertThat(HandbookYaml.scalar("no")).as("quoted, so YAML 1.1 keeps a string").isEqualTo("\"no\"");
  }

  private static List<String> fields(JsonNode row) {
    List<String> names = new ArrayList<>();
    row.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
