package dev.zephyr.data.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.endpoint.EndpointSpec;
import dev.zephyr.core.chat.limits.RetryingChatModel;
import dev.zephyr.data.config.ProviderSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AifConfigTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("aif.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void readsTheIssueExampleWithDefaultsAndRelativePaths() throws Exception {
    AifConfig c = AifConfig.load(write("""
        prompts: prompts.jsonl
        output_dir: out
        completions_per_prompt: 4
        seed: 42
        pool:
          - {name: a, base_url: "http://127.0.0.1:8001/v1", model: model-a, api_key_env: A_KEY,
             max_concurrency: 16, timeout_seconds: 30, max_retries: 6, temperature: 1.0, max_tokens: 512}
          - {name: b, base_url: ["http://h1:8000/v1", "http://h2:8000/v1"], model: model-b, use_principles: false}
        judge: {base_url: "http://127.0.0.1:8002/v1", model: judge, max_concurrency: 16, timeout_seconds: 30}
        rubric: overall
        binarize: {chosen: overall, rejected: random, ties: keep}
        """));
    assertThat(c.prompts()).isEqualTo(dir.resolve("prompts.jsonl"));
    assertThat(c.cache()).isEqualTo(dir.resolve("out/cache/responses.jsonl"));
    assertThat(c.pool()).hasSize(2);
    ProviderSpec a = c.pool().get(0);
    assertThat(a.endpoint().apiKeyEnv()).isEqualTo("A_KEY");
    assertThat(a.endpoint().retryPolicy().maxRetries()).isEqualTo(6);
    assertThat(a.endpoint().timeoutSeconds()).isEqualTo(30);
    assertThat(a.samplingParams(SamplingParams.defaults()).maxTokens()).isEqualTo(512);
    assertThat(c.pool().get(1).endpoint().baseUrls()).hasSize(2);
    assertThat(c.pool().get(1).usePrinciples()).isFalse();
    assertThat(c.judge().name()).isEqualTo("judge");
    assertThat(c.judge().samplingParams(SamplingParams.greedy(1024)).temperature()).isZero();
    assertThat(c.chosen()).isEqualTo(Binarizer.ChosenBy.OVERALL);
    assertThat(c.judgeAttempts()).isEqualTo(3);
    try (var m = c.pool().get(1).toChatModel()) {
      assertThat(m).as("the client inside its retry decorator").isInstanceOf(RetryingChatModel.class);
      assertThat(((RetryingChatModel) m).policy().maxRetries()).isEqualTo(EndpointSpec.DEFAULT_MAX_RETRIES);
      assertThat(m.name()).isEqualTo("b");
      assertThat(m.cacheKeyModel()).as("the served model's name").isEqualTo("model-b");
    }
  }

  @Test
  void providerPenaltiesReachTheSamplingParamsAndAreChecked() throws Exception {
    String base = """
        prompts: p.jsonl
        output_dir: out
        pool: [{name: a, base_url: "http://x/v1", model: m, presence_penalty: 2, frequency_penalty: -0.5,
                repetition_penalty: 1.1}, {name: b, base_url: "http://x/v1", model: m}]
        judge: {base_url: "http://x/v1", model: j}
        """;
    AifConfig c = AifConfig.load(write(base));
    SamplingParams a = c.pool().get(0).samplingParams(SamplingParams.defaults());
    assertThat(a.presencePenalty()).isEqualTo(2);
    assertThat(a.frequencyPenalty()).isEqualTo(-0.5);
    assertThat(a.repetitionPenalty()).isEqualTo(1.1);
    // not given: the stage's own values stay
    SamplingParams stage = SamplingParams.builder().presencePenalty(1.5).build();
    assertThat(c.pool().get(1).samplingParams(stage)).isEqualTo(stage);
    assertThatThrownBy(() -> AifConfig.load(write(base.replace("presence_penalty: 2", "presence_penalty: 2.5"))))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("pool[0]")
        .hasMessageContaining("presence_penalty must be in [-2, 2], got 2.5");
    assertThatThrownBy(() -> AifConfig.load(write(base.replace("repetition_penalty: 1.1", "repetition_penalty: 0"))))
        .hasMessageContaining("pool[0]").hasMessageContaining("repetition_penalty must be");
    assertThatThrownBy(() -> AifConfig.load(write(base.replace("frequency_penalty: -0.5", "frequency_penalty: lots"))))
        .hasMessageContaining("pool[0].frequency_penalty").hasMessageContaining("expected a number");
  }

  @Test
  void errorsNameTheFieldAndTheFile() throws Exception {
    String base = """
        prompts: p.jsonl
        output_dir: out
        pool: [{name: a, base_url: "http://x/v1", model: m}]
        judge: {base_url: "http://x/v1", model: j}
        """;
    assertThatThrownBy(() -> AifConfig.load(write(base.replace("model: m}", "model: m, max_concurency: 3}"))))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("aif.yaml")
        .hasMessageContaining("pool[0].max_concurency").hasMessageContaining("unknown key (did you mean 'max_concurrency'?)");
    assertThatThrownBy(() -> AifConfig.load(write(base + "binarize: {chosen: overall, reject: random}\n")))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> {
          assertThat(e.field()).isEqualTo("binarize.reject");
          assertThat(e.line()).isEqualTo(5);
          assertThat(e).hasMessageContaining("did you mean 'rejected'?");
        });
    assertThatThrownBy(() -> AifConfig.load(write(base + "chunk: 5\n")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("aif.yaml:5: field 'chunk'")
        .hasMessageContaining("did you mean 'chunk_size'?");
    assertThatThrownBy(() -> AifConfig.load(write(base.replace("model: m}", "model: m, max_concurrency: 1000000}"))))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("aif.yaml")
        .hasMessageContaining("pool[0].max_concurrency").hasMessageContaining("must be in [1, 1024], got 1000000");
    assertThatThrownBy(() -> AifConfig.load(write(base.replace("model: m}", "model: m, temperature: hot}"))))
        .hasMessageContaining("pool[0].temperature").hasMessageContaining("expected a number");
    assertThatThrownBy(() -> AifConfig.load(write(base.replace("pool: [{name: a, base_url: \"http://x/v1\", model: m}]",
        "pool: [{name: a, model: m}]")))).hasMessageContaining("pool[0]").hasMessageContaining("base_url and model");
    assertThatThrownBy(() -> AifConfig.load(write(base + "rubric: ultrafeedback\n")))
        .hasMessageContaining("rubric_templates");
    assertThatThrownBy(() -> AifConfig.load(write(base + "binarize: {chosen: mean}\n")))
        .hasMessageContaining("binarize.chosen").hasMessageContaining("ultrafeedback");
    assertThatThrownBy(() -> AifConfig.load(write(base.replace("output_dir: out\n", ""))))
        .hasMessageContaining("output_dir").hasMessageContaining("required");
  }

  @Test
  void stageOptionsResolveAgainstTheRecipeAndTheStageDirectoryIsSetLater() throws Exception {
    var options = dev.zephyr.core.io.Json.yaml().readTree("""
        prompts: data/prompts.jsonl
        pool: [{name: a, base_url: "http://x/v1", model: m}]
        judge: {base_url: "http://x/v1", model: j}
        rubric: rubrics/mine.txt
        seed: 7
        """);
    AifConfig c = AifConfig.stageOptions(options, "recipe stage aif", dir);
    assertThat(c.prompts()).isEqualTo(dir.resolve("data/prompts.jsonl"));
    assertThat(c.rubric()).as("a template file, resolved like every path").isEqualTo(
        dir.resolve("rubrics/mine.txt").toString());
    assertThat(c.outputDir()).isNull();
    assertThat(c.cache()).isNull();
    AifConfig placed = c.withOutputDir(dir.resolve("work/02-aif")).withSeed(9);
    assertThat(placed.outputDir()).isEqualTo(dir.resolve("work/02-aif"));
    assertThat(placed.cache()).isEqualTo(dir.resolve("work/02-aif/cache/responses.jsonl"));
    assertThat(placed.seed()).isEqualTo(9);
    ProviderSpec student = new ProviderSpec("student", null, dir.resolve("model"), 0.7, null, 64, true,
        null, null, null);
    assertThat(placed.withPoolMember(student).pool()).extracting(ProviderSpec::name).containsExactly("a", "student");
    assertThatThrownBy(() -> placed.withPoolMember(c.pool().get(0))).hasMessageContaining("already has a provider"
        + " named 'a'");
    assertThatThrownBy(() -> new dev.zephyr.data.feedback.AifJob(c)).hasMessageContaining("no output_dir");

    ((com.fasterxml.jackson.databind.node.ObjectNode) options).put("output_dir", "x");
    assertThatThrownBy(() -> AifConfig.stageOptions(options, "recipe stage aif", dir))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("output_dir")
        .hasMessageContaining("recipe stage aif");
    AifConfig explicitCache = AifConfig.load(write("""
        prompts: p.jsonl
        output_dir: out
        cache: shared/responses.jsonl
        pool: [{name: a, base_url: "http://x/v1", model: m}]
        judge: {base_url: "http://x/v1", model: j}
        """));
    assertThat(explicitCache.withOutputDir(dir.resolve("elsewhere")).cache()).as("an explicit cache stays")
        .isEqualTo(dir.resolve("shared/responses.jsonl"));
  }
}
