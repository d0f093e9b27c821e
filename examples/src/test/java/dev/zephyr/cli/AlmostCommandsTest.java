package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.FakeOpenAiServer.Fault;
import dev.zephyr.train.reward.ChatRewardModel;
import dev.zephyr.train.reward.RewardModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code zephyr almost-data} and {@code zephyr rmsp}: ALMoST's data steps from the command line. */
@Timeout(180)
class AlmostCommandsTest {

  /** The query of a rendered few-shot prompt: the text of its last "Human:" turn. */
  private static String query(ChatRequest r) {
    String p = r.messages().get(r.messages().size() - 1).content();
    String q = p.substring(p.lastIndexOf("Human: ") + "Human: ".length());
    return q.substring(0, q.indexOf("\n\nAssistant:"));
  }

  /** Answers of 50 characters or more (shorter ones are bad): big answers longest, small shortest; on "same" mid repeats big, on "blank" small gives a bad answer. */
  private static String answer(String model, ChatRequest r) {
    String q = query(r);
    String big = "A careful, complete and friendly answer about " + q + ", with two examples, a caveat and a summary.";
    return switch (model) {
      case "big" -> big;
      case "mid" -> q.contains("same") ? big : "A fair answer about " + q + ", with one example given and a short summary.";
      default -> q.contains("blank") ? "Well." : "A short answer about " + q + ", in one plain line and nothing more.";
    };
  }

  private static Path setUp(Path dir, String baseUrl, String extra) throws Exception {
    Files.writeString(dir.resolve("queries.jsonl"), """
        {"question": "tea"}
        {"question": "rivers"}
        {"question": "the same thing"}
        {"question": "blank verse"}
        """);
    Files.writeString(dir.resolve("demos.txt"), "A chat between a human and an assistant.\n\n-----\n\nHuman: Hi"
        + "\n\nAssistant: Hello, how can I help you today?\n\n-----\n\nHuman: Thanks\n\nAssistant: You are welcome.");
    return Files.writeString(dir.resolve("almost.yaml"), """
        prompts: queries.jsonl
        output_dir: out
        demonstrations: demos.txt
        batch_size: 1
        generators:
          - {name: big, base_url: "%1$s", model: big, shots: 2, max_retries: 0, timeout_seconds: 5}
          - {name: mid, base_url: "%1$s", model: mid, shots: 1, max_retries: 0, timeout_seconds: 5}
          - {name: small, base_url: "%1$s", model: small, shots: 0, max_retries: 0, timeout_seconds: 5}
        %2$s
        """.formatted(baseUrl, extra));
  }

  @Test
  void comparisonsFromRankedGeneratorsWithCountsAndAResumeAfterAFailedCall(@TempDir Path dir) throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      server.responder(AlmostCommandsTest::answer);
      // the sixth distinct call (small on "rivers", batches of one prompt) fails for good in the first run
      List<String> keys = new ArrayList<>();
      server.faults((key, attempt) -> {
        synchronized (keys) {
          if (!keys.contains(key)) {
            keys.add(key);
          }
          return keys.indexOf(key) == 5 ? Fault.BAD_REQUEST : Fault.NONE;
        }
      });
      Path cfg = setUp(dir, server.baseUrl(), "");
      CliRun first = CliRun.of("almost-data", "--config", cfg.toString(), "--no-progress");
      assertThat(first.code()).as(first.err()).isEqualTo(1);
      assertThat(first.err()).contains("run the same command again");
      assertThat(Jsonl.readAll(dir.resolve("out/responses.jsonl"))).extracting(n -> n.get("prompt").asText())
          .containsExactly("tea", "the same thing", "blank verse");
      assertThat(dir.resolve("out/comparisons.jsonl")).doesNotExist();
      assertThat(Json.mapper().readTree(dir.resolve("out/report.json").toFile()).get("failed").asInt()).isOne();

      server.faults((key, attempt) -> Fault.NONE);
      server.resetCounts();
      CliRun second = CliRun.of("almost-data", "--config", cfg.toString(), "--no-progress");
      assertThat(second.code()).as(second.err()).isZero();
      assertThat(server.requestCount()).as("only the unfinished prompt is asked again").isEqualTo(3);

      List<JsonNode> pairs = Jsonl.readAll(dir.resolve("out/comparisons.jsonl"));
      // tea and rivers: big > mid, mid > small; same: big = mid (dropped), mid > small; blank: small is bad
      assertThat(pairs).extracting(n -> n.get("prompt").asText() + ":" + n.get("meta").asText()).containsExactly(
          "tea:big-vs-mid", "tea:mid-vs-small", "rivers:big-vs-mid", "rivers:mid-vs-small",
          "the same thing:mid-vs-small", "blank verse:big-vs-mid");
      assertThat(pairs.get(0).get("chosen").get(1).get("content").asText()).startsWith("A careful");
      assertThat(pairs.get(0).get("rejected").get(1).get("content").asText()).startsWith("A fair");
      JsonNode report = Json.mapper().readTree(dir.resolve("out/report.json").toFile());
      assertThat(report.get("complete").asBoolean()).isTrue();
      assertThat(report.get("comparisons").asInt()).isEqualTo(6);
      assertThat(report.get("heuristic").get("dropped_identical").asInt()).isOne();
      assertThat(report.get("heuristic").get("missing_responses").asInt()).isOne();
      assertThat(report.get("ranking")).extracting(JsonNode::asText).containsExactly("big", "mid", "small");
      assertThat(second.err()).contains("6 comparisons from 4 prompts");
    }
  }

  @Test
  void unknownKeysAndUnusableGeneratorsAreRefusedByName(@TempDir Path dir) throws Exception {
    Path typo = setUp(dir, "http://127.0.0.1:9/v1", "agreemnt: {reward_model_path: rm}");
    CliRun r = CliRun.of("almost-data", "--config", typo.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("agreemnt").contains("agreement");
    Path shots = Files.writeString(dir.resolve("shots.yaml"), Files.readString(typo).replace("shots: 2", "shots: 5")
        .replace("agreemnt: {reward_model_path: rm}", ""));
    CliRun s = CliRun.of("almost-data", "--config", shots.toString());
    assertThat(s.code()).isEqualTo(1);
    assertThat(s.err()).contains("generator big").contains("shots").contains("holds 2 dialogues");
  }

  @Test
  void rmspWritesMessagesRowsAndARerunPlaysNothingNew(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    Path rm = rewardModel(model, dir, 3);
    Files.writeString(dir.resolve("seeds.jsonl"), """
        {"id": "a", "question": "Say hello."}
        {"id": "b", "question": "Name a colour."}
        """);
    Path yaml = Files.writeString(dir.resolve("rmsp.yaml"), """
        model_name_or_path: %s
        reward_model_path: rm
        output_dir: sp
        seeds: seeds.jsonl
        best_of: 2
        max_new_tokens: 4
        max_length: 64
        """.formatted(model));
    CliRun r = CliRun.of("rmsp", "--config", yaml.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("rmsp done: 2 dialogues");
    List<JsonNode> rows = Jsonl.readAll(dir.resolve("sp/demonstrations.jsonl"));
    assertThat(rows).extracting(n -> n.get("messages").get(0).get("content").asText())
        .containsExactly("Say hello.", "Name a colour.");
    assertThat(rows).allSatisfy(n -> assertThat(n.get("messages").get(1).get("role").asText()).isEqualTo("assistant"));
    String dialogues = Files.readString(dir.resolve("sp/dialogues.jsonl"));
    CliRun again = CliRun.of("rmsp", "--config", yaml.toString());
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(Files.readString(dir.resolve("sp/dialogues.jsonl"))).as("played seeds are skipped")
        .isEqualTo(dialogues);

    Path typo = Files.writeString(dir.resolve("typo.yaml"), Files.readString(yaml).replace("best_of:", "best_off:"));
    CliRun bad = CliRun.of("rmsp", "--config", typo.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("best_off").contains("best_of");
  }

  @Test
  void pipelineDryRunChecksTheAlmostStagesOptions(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("base"));
    Files.writeString(dir.resolve("comparisons.jsonl"), "");
    Files.writeString(dir.resolve("seeds.jsonl"), "");
    String recipe = """
        student: base
        stages:
          - rm: {comparisons: comparisons.jsonl, max_length: 64}
          - rmsp: {seeds: seeds.jsonl, best_of: 2}
          - sft: {max_steps: 1}
          - rloo: {rloo_k: %s, kl_coef: 0.05}
        """;
    Path ok = Files.writeString(dir.resolve("ok.yaml"), recipe.formatted("2"));
    CliRun r = CliRun.of("pipeline", "--config", ok.toString(), "--dry-run");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("01-rm").contains("02-rmsp").contains("03-sft").contains("04-rloo")
        .contains("\"rloo_k\":2").contains("\"kl_coef\":0.05").contains("all local paths exist");
    Path bad = Files.writeString(dir.resolve("bad.yaml"), recipe.formatted("1"));
    CliRun b = CliRun.of("pipeline", "--config", bad.toString(), "--dry-run");
    assertThat(b.code()).isEqualTo(1);
    assertThat(b.err()).contains("recipe stage rloo").contains("rloo_k");
  }

  @Test
  void theAgreementFilterKeepsOnlyPairsTheRewardModelRanksTheSameWay(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    Path rm = rewardModel(model, dir, 5);
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      server.responder(AlmostCommandsTest::answer);
      Path cfg = setUp(dir, server.baseUrl(), "agreement: {reward_model_path: rm, max_length: 64, batch_size: 2}");
      CliRun r = CliRun.of("almost-data", "--config", cfg.toString(), "--no-progress");
      assertThat(r.code()).as(r.err()).isZero();
    }
    JsonNode report = Json.mapper().readTree(dir.resolve("out/report.json").toFile());
    assertThat(report.get("agreement_filter").asBoolean()).isTrue();
    assertThat(report.get("comparisons").asInt() + report.get("disagreed").asInt())
        .as("the six heuristic pairs are either kept or counted as disagreeing").isEqualTo(6);
    List<JsonNode> kept = Jsonl.readAll(dir.resolve("out/comparisons.jsonl"));
    assertThat(kept).hasSize(report.get("comparisons").asInt());
    try (NDManager m = NDManager.newBaseManager(); Tokenizer tok = Tokenizer.load(rm);
        RewardModel loaded = RewardModel.load(rm, m)) {
      ChatRewardModel scorer = new ChatRewardModel(loaded, ChatTokenizer.of(tok), 2, 64);
      for (JsonNode pair : kept) {
        double[] s = scorer.score(List.of(messages(pair.get("chosen")), messages(pair.get("rejected"))));
        assertThat(s[0]).as(pair.get("meta").asText()).isGreaterThan(s[1]);
      }
    }
  }

  /** {@code dir/rm}: the model with a new random score head. */
  private static Path rewardModel(Path model, Path dir, long seed) {
    Path rm = dir.resolve("rm");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel decoder = LlamaModel.load(model, m)) {
      RewardModel.withNewHead(decoder, 1.0, seed).save(rm, model);
    }
    return rm;
  }

  private static List<Message> messages(JsonNode turns) {
    List<Message> out = new ArrayList<>();
    for (JsonNode t : turns) {
      out.add(t.get("role").asText().equals("user") ? Message.user(t.get("content").asText())
          : Message.assistant(t.get("content").asText()));
    }
    return out;
  }
}
