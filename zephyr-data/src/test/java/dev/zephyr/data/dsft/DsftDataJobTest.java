package dev.zephyr.data.dsft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.data.instruct.SeedTask;
import dev.zephyr.data.instruct.SelfInstructConfig;
import dev.zephyr.data.testing.FunctionChatModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DsftDataJobTest {
  @TempDir Path tmp;

  /** Teacher that continues Self-Instruct lists, answers "Is it classification?" and writes instances. */
  static FunctionChatModel teacher() {
    return FunctionChatModel.completion("teacher", r -> {
      String p = r.messages().get(0).content();
      String text;
      if (p.endsWith("\n9.")) {
        Random rng = new Random(r.params().seed());
        StringBuilder sb = new StringBuilder(" Label the tone of");
        for (int w = 0; w < 8; w++) {
          sb.append(" w").append(rng.nextInt(100000));
        }
        text = sb.append(" as calm or angry.").toString();
      } else if (p.endsWith("Is it classification?")) {
        text = "Yes";
      } else {
        text = "Class label: calm\nReview: Fine product.\nClass label: angry\nReview: Broken on arrival!";
      }
      return new Completion(text, FinishReason.STOP, 3);
    });
  }

  @Test
  void classificationOnlyWithInstancesFromTheOriginalTemplates() throws Exception {
    Path yaml = tmp.resolve("job.yaml");
    Files.writeString(yaml, """
        output_dir: out
        seed: 3
        teacher: {name: teacher, base_url: "http://127.0.0.1:9/v1", model: t}
        self_instruct:
          seed_tasks: %s
          num_instructions: 4
          classification_only: true
          instances: {templates_dir: %s, presence_penalty: 1.5}
        clean: {truecase: false, near_dedup: {enabled: false}}
        test_fraction: 0.5
        """.formatted(TestData.path("self_instruct", "seed_tasks.jsonl"),
        TestData.path("self_instruct", "templates")));
    FunctionChatModel t = teacher();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    DsftDataJob.Summary s = new DsftDataJob(DsftDataConfig.load(yaml), tmp, (k, spec) -> t,
        new PrintStream(log, true)).run();
    List<String> clfSeeds = SeedTask.load(TestData.path("self_instruct", "seed_tasks.jsonl")).stream()
        .filter(SeedTask::isClassification).map(x -> x.instruction().replaceAll("\\s+", " ").strip()).toList();
    assertThat(clfSeeds).hasSize(26);
    String firstPrompt = t.requests.get(0).messages().get(0).content();
    assertThat(firstPrompt).startsWith(SelfInstructConfig.DEFAULT_CLASSIFICATION_HEADER);
    firstPrompt.lines().filter(l -> l.matches("[1-8]\\. .*"))
        .forEach(l -> assertThat(clfSeeds).contains(l.substring(3)));
    // 4 tasks x 2 instances, split by prompt_id hash into train and test
    assertThat(s.selfInstructRecords()).isEqualTo(8);
    assertThat(s.train() + s.test()).isEqualTo(8);
    assertThat(s.test()).isBetween(1, 7);
    Path out = tmp.resolve("out");
    assertThat(Jsonl.readAll(out.resolve("self_instruct/is_classification.jsonl"))).hasSize(4)
        .allMatch(n -> n.get("is_classification").asBoolean());
    var rec = Jsonl.readAll(out.resolve("train_sft.jsonl")).get(0);
    assertThat(rec.get("messages").get(0).get("content").asText()).startsWith("Label the tone of w")
        .contains("\n\nReview: ");
    assertThat(rec.get("messages").get(1).get("content").asText()).isIn("calm", "angry");
    // instance prompts carry the block's presence penalty (the original's 1.5); the classification question does not
    assertThat(t.requests).filteredOn(r -> r.messages().get(0).content().contains("Class label"))
        .isNotEmpty().allSatisfy(r -> assertThat(r.params().presencePenalty()).isEqualTo(1.5));
    assertThat(t.requests).filteredOn(r -> r.messages().get(0).content().endsWith("Is it classification?"))
        .isNotEmpty().allSatisfy(r -> assertThat(r.params().presencePenalty()).isZero());
    // rerun: nothing new is asked
    int calls = t.requests.size();
    new DsftDataJob(DsftDataConfig.load(yaml), tmp, (k, spec) -> t, new PrintStream(log, true)).run();
    assertThat(t.requests).hasSize(calls);
  }
  @Test
  void failedClassificationAndInstanceCallsLeaveTheirTasksForTheNextRunAndNoTrainFile() throws Exception {
    Path yaml = tmp.resolve("job.yaml");
    Files.writeString(yaml, """
        output_dir: out
        seed: 3
        teacher: {name: teacher, base_url: "http://127.0.0.1:9/v1", model: t}
        self_instruct:
          seed_tasks: %s
          num_instructions: 4
          classification_only: true
          instances: {templates_dir: %s}
        clean: {truecase: false, near_dedup: {enabled: false}}
        """.formatted(TestData.path("self_instruct", "seed_tasks.jsonl"),
        TestData.path("self_instruct", "templates")));
    FunctionChatModel healthy = teacher();
    // the first classification prompt and the first instance prompt the teacher sees fail every time
    AtomicReference<String> badQuestion = new AtomicReference<>();
    AtomicReference<String> badInstances = new AtomicReference<>();
    FunctionChatModel flaky = FunctionChatModel.completion("teacher", r -> {
      String p = r.messages().get(0).content();
      boolean question = p.endsWith("Is it classification?");
      boolean instances = !question && !p.endsWith("\n9.");
      if (question && (badQuestion.compareAndSet(null, p) || p.equals(badQuestion.get()))
          || instances && (badInstances.compareAndSet(null, p) || p.equals(badInstances.get()))) {
        throw new ProviderException("teacher", 503, true, "overloaded");
      }
      return healthy.complete(r).first();
    });
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    DsftDataJob.Summary s = new DsftDataJob(DsftDataConfig.load(yaml), tmp, (k, spec) -> flaky,
        new PrintStream(log, true)).run();
    assertThat(s.complete()).isFalse();
    assertThat(s.counts()).containsExactly(new WorkCounts("self-instruct instructions", 4, 0, 0),
        new WorkCounts("self-instruct tasks", 2, 2, 0));
    Path out = tmp.resolve("out");
    assertThat(Jsonl.readAll(out.resolve("self_instruct/is_classification.jsonl"))).hasSize(3);
    assertThat(Jsonl.readAll(out.resolve("self_instruct/instances.jsonl"))).hasSize(2);
    assertThat(Jsonl.readAll(out.resolve("failures.jsonl"))).hasSize(2);
    assertThat(out.resolve("train_sft.jsonl")).doesNotExist();
    assertThat(out.resolve("cleaning_report.json")).doesNotExist();

    FunctionChatModel fixed = teacher();
    DsftDataJob.Summary again = new DsftDataJob(DsftDataConfig.load(yaml), tmp, (k, spec) -> fixed,
        new PrintStream(log, true)).run();
    assertThat(again.complete()).isTrue();
    // one classification and two instance prompts: only what failed
    assertThat(fixed.requests).hasSize(3);
    assertThat(Jsonl.readAll(out.resolve("train_sft.jsonl"))).hasSize(8);
    assertThat(out.resolve("failures.jsonl")).doesNotExist();
  }

  @Test
  void providerDecodingHoldsUnlessTheBlockSetsTheKey() throws Exception {
    Path yaml = tmp.resolve("job.yaml");
    Files.writeString(yaml, """
        output_dir: out
        seed: 3
        teacher: {name: teacher, base_url: "http://127.0.0.1:9/v1", model: t, temperature: 0.3, top_p: 0.8}
        self_instruct:
          seed_tasks: %s
          num_instructions: 2
          top_p: 0.9
        clean: {truecase: false, near_dedup: {enabled: false}}
        """.formatted(TestData.path("self_instruct", "seed_tasks.jsonl")));
    FunctionChatModel t = teacher();
    ProviderFactory specs = ProviderFactory.specs(yaml.toString(), tmp);
    ProviderFactory providers = new ProviderFactory() {
      @Override
      public ChatModel create(String key, JsonNode spec) {
        return t;
      }

      @Override
      public SamplingParams sampling(String key, JsonNode spec, SamplingParams stageDefaults) {
        return specs.sampling(key, spec, stageDefaults);
      }
    };
    new DsftDataJob(DsftDataConfig.load(yaml), tmp, providers, new PrintStream(new ByteArrayOutputStream(), true))
        .run();
    // instruction generation: the provider's temperature over the stage's 0.7, the block's top_p over the
    // provider's, the stage's max_tokens and presence penalty where neither sets them
    var generation = t.requests.stream().filter(r -> r.messages().get(0).content().endsWith("\n9.")).toList();
    assertThat(generation).isNotEmpty().allSatisfy(r -> {
      assertThat(r.params().temperature()).isEqualTo(0.3);
      assertThat(r.params().topP()).isEqualTo(0.9);
      assertThat(r.params().maxTokens()).isEqualTo(1024);
      assertThat(r.params().presencePenalty()).isEqualTo(2);
    });
    // the teacher's answers: the provider's temperature and top_p over the stage's 0.7 and 0.95
    assertThat(t.requests).filteredOn(r -> !r.messages().get(0).content().endsWith("\n9.")).isNotEmpty()
        .allSatisfy(r -> {
          assertThat(r.params().temperature()).isEqualTo(0.3);
          assertThat(r.params().topP()).isEqualTo(0.8);
        });
  }

  @Test
  void selfInstructAndSelfChatPenaltiesReachTheRequests() throws Exception {
    Path yaml = tmp.resolve("job.yaml");
    String text = """
        output_dir: out
        seed: 3
        teacher: {name: teacher, base_url: "http://127.0.0.1:9/v1", model: t}
        self_instruct:
          seed_tasks: %s
          num_instructions: 2
          presence_penalty: 2
          frequency_penalty: 0
        clean: {truecase: false, near_dedup: {enabled: false}}
        """.formatted(TestData.path("self_instruct", "seed_tasks.jsonl"));
    Files.writeString(yaml, text);
    FunctionChatModel t = teacher();
    new DsftDataJob(DsftDataConfig.load(yaml), tmp, (k, spec) -> t, new PrintStream(new ByteArrayOutputStream(),
        true)).run();
    // instruction generation carries the block's penalty (the original's presence_penalty 2)...
    var generation = t.requests.stream().filter(r -> r.messages().get(0).content().endsWith("\n9.")).toList();
    assertThat(generation).isNotEmpty().allSatisfy(r -> {
      assertThat(r.params().presencePenalty()).isEqualTo(2);
      assertThat(r.params().frequencyPenalty()).isZero();
      assertThat(r.params().repetitionPenalty()).isEqualTo(1.0);
    });
    // ...and the teacher's answers to the instructions do not
    assertThat(t.requests).filteredOn(r -> !r.messages().get(0).content().endsWith("\n9.")).isNotEmpty()
        .allSatisfy(r -> assertThat(r.params().hasPenalties()).isFalse());

    Files.writeString(yaml, text.replace("frequency_penalty: 0", "frequency_penalty: 3"));
    assertThatThrownBy(() -> DsftDataConfig.load(yaml)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("job.yaml").hasMessageContaining("self_instruct.frequency_penalty")
        .hasMessageContaining("[-2, 2]");
    Files.writeString(yaml, text.replace("self_instruct:", "self_chat: {seeds: s.jsonl, repetition_penalty: -1}\n"
        + "self_instruct:"));
    assertThatThrownBy(() -> DsftDataConfig.load(yaml)).hasMessageContaining("self_chat.repetition_penalty");
    Files.writeString(yaml, text.replace("frequency_penalty: 0", "instances: {presence_penalty: -2.5}"));
    assertThatThrownBy(() -> DsftDataConfig.load(yaml))
        .hasMessageContaining("self_instruct.instances.presence_penalty");
  }
}
