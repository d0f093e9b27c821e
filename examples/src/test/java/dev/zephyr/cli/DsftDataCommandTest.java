package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DsftDataCommandTest {
  @TempDir Path tmp;

  private static final String[] VOCAB = ("apple river castle engine planet violin garden winter rocket bridge "
      + "candle desert forest harbor island jungle kettle ladder marble needle ocean pencil quartz saddle tunnel "
      + "umbrella valley wagon yacht zebra anchor basket cactus dragon eagle falcon glacier hammer igloo jacket")
      .split(" ");

  /** A deterministic fake teacher/user for every prompt the command sends; fails from call {@code failAt} on. */
  static final class FakeModel implements ChatModel {
    final String name;
    final int failAt;
    final AtomicInteger calls = new AtomicInteger();

    FakeModel(String name, int failAt) {
      this.name = name;
      this.failAt = failAt;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public List<ChatResponse> complete(List<ChatRequest> requests) {
      if (calls.incrementAndGet() >= failAt && failAt > 0) { // a lasting outage from call failAt on
        throw new ProviderException(name, 503, true, "injected outage");
      }
      List<ChatResponse> out = new ArrayList<>();
      for (ChatRequest r : requests) {
        out.add(new ChatResponse(name, List.of(new Completion(answer(r), FinishReason.STOP, 5)), 5));
      }
      return out;
    }

    private String answer(ChatRequest r) {
      String last = r.messages().get(r.messages().size() - 1).content();
      if (last.endsWith("\n9.")) { // Self-Instruct: continue the list with two new instructions
        Random rng = new Random(r.params().seed());
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < 2; k++) {
          sb.append(k == 0 ? " " : "\n10. ").append("Describe");
          for (int w = 0; w < 5; w++) {
            sb.append(' ').append(VOCAB[rng.nextInt(VOCAB.length)]);
          }
          sb.append('.');
        }
        return sb.toString();
      }
      if (name.equals("user")) {
        return "Can you say more about that?";
      }
      if (last.contains("feel")) {
        return "As an AI, I do not have feelings, but many people enjoy rain.";
      }
      return "here is a careful answer about " + last.toLowerCase() + ". it has two sentences.";
    }
  }

  private Path writeConfig() throws Exception {
    Path seeds = tmp.resolve("questions.jsonl");
    Files.writeString(seeds, String.join("\n",
        "{\"id\": \"q1\", \"question\": \"How do volcanoes form?\"}",
        "{\"id\": \"q2\", \"question\": \"How do you feel about rain?\"}",
        // planted contamination: MT-Bench question 81, turn 1
        "{\"id\": \"q3\", \"question\": \"Compose an engaging travel blog post about a recent trip to Hawaii, "
            + "highlighting cultural experiences and must-see attractions.\"}",
        "{\"id\": \"q4\", \"question\": \"How do volcanoes form?\"}",
        "{\"id\": \"q5\", \"question\": \"Why is the sea salty?\"}") + "\n");
    Path yaml = tmp.resolve("job.yaml");
    Files.writeString(yaml, """
        output_dir: out
        seed: 7
        teacher: {name: teacher, base_url: "http://127.0.0.1:9/v1", model: t}
        user_simulator: {name: user, base_url: "http://127.0.0.1:9/v1", model: u}
        self_instruct:
          seed_tasks: %s
          num_instructions: 6
          batch_size: 2
        self_chat:
          seeds: questions.jsonl
          min_turns: 2
          max_turns: 2
          batch_size: 2
        clean:
          decontaminate: {mt_bench: %s, alpaca_eval: %s}
        """.formatted(TestData.path("self_instruct", "seed_tasks.jsonl"),
        TestData.path("mt_bench", "question.jsonl"),
        TestData.path("alpaca_eval", "reference_outputs_gpt4_1106_preview.json")));
    return yaml;
  }

  private record Run(int exit, String out, String err) {}

  private Run run(Path yaml, FakeModel teacher, FakeModel user) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    DsftDataCommand cmd = new DsftDataCommand((key, spec) -> spec.path("name").asText().equals("user") ? user : teacher,
        new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
    CommandLine cl = ZephyrCli.commandLine(cmd);
    cl.setErr(new PrintWriter(e, true, StandardCharsets.UTF_8)); // failures are reported there, progress on cmd's
    int exit = cl.execute("--config", yaml.toString());
    return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
  }

  @Test
  void endToEndWritesCleanedDemonstrationsAndAReport() throws Exception {
    Path yaml = writeConfig();
    Run r = run(yaml, new FakeModel("teacher", -1), new FakeModel("user", -1));
    assertThat(r.exit()).as(r.err()).isZero();
    Path out = tmp.resolve("out");
    assertThat(Files.readAllLines(out.resolve("self_instruct/machine_instructions.jsonl"))).hasSize(6);
    assertThat(Files.readAllLines(out.resolve("self_instruct/answers.jsonl"))).hasSize(6);
    assertThat(Files.readAllLines(out.resolve("self_chat.jsonl"))).hasSize(5);
    JsonNode report = Json.mapper().readTree(out.resolve("cleaning_report.json").toFile());
    assertThat(report.get("input").asInt()).isEqualTo(11);
    assertThat(report.get("persona_answers").asInt()).isEqualTo(1);   // q2
    assertThat(report.get("exact_duplicates").asInt()).isEqualTo(1);  // q4 repeats q1
    assertThat(report.get("contaminated").asInt()).isEqualTo(1);      // q3
    assertThat(report.get("contaminated_by_source").get("mt_bench").asInt()).isEqualTo(1);
    assertThat(report.get("truecased_records").asInt()).isEqualTo(11); // the fake answers start lower-case
    assertThat(report.get("output").asInt()).isEqualTo(8);
    List<JsonNode> train = Jsonl.readAll(out.resolve("train_sft.jsonl"));
    assertThat(train).hasSize(8);
    JsonNode first = train.get(0);
    assertThat(first.fieldNames()).toIterable().containsExactly("prompt", "prompt_id", "messages");
    assertThat(first.get("messages").get(1).get("content").asText()).startsWith("Here is a careful answer");
    assertThat(r.out()).contains("cleaning: 11 in");
  }

  @Test
  void rerunAfterAnOutageFinishesWithTheSameBytesAndNoRepeatedCalls() throws Exception {
    Path yaml = writeConfig();
    FakeModel cleanTeacher = new FakeModel("teacher", -1);
    Run clean = run(yaml, cleanTeacher, new FakeModel("user", -1));
    assertThat(clean.exit()).isZero();
    // the last six teacher calls are self-chat: three batches of two conversations, two turns each
    int total = cleanTeacher.calls.get();
    Path out = tmp.resolve("out");
    byte[] expected = Files.readAllBytes(out.resolve("train_sft.jsonl"));
    byte[] expectedChat = Files.readAllBytes(out.resolve("self_chat.jsonl"));
    deleteRecursively(out);

    FakeModel failing = new FakeModel("teacher", total - 4); // the outage starts at the first batch's second turn
    Run crashed = run(yaml, failing, new FakeModel("user", -1));
    assertThat(crashed.exit()).isEqualTo(1);
    // every conversation the outage touched failed; nothing of them is written, the failures are listed
    assertThat(crashed.out()).contains("self-instruct instructions: 6 done, 0 failed, 0 pending")
        .contains("self-chat conversations: 0 done, 5 failed, 0 pending");
    assertThat(crashed.err()).contains("zephyr dsft-data: not finished: 5 self-chat conversations failed")
        .contains(out.resolve("failures.jsonl").toString());
    assertThat(Files.readString(out.resolve("failures.jsonl"))).contains("injected outage");
    assertThat(Files.readAllLines(out.resolve("self_chat.jsonl"))).isEmpty();
    assertThat(out.resolve("train_sft.jsonl")).doesNotExist();

    FakeModel teacher = new FakeModel("teacher", -1);
    Run resumed = run(yaml, teacher, new FakeModel("user", -1));
    assertThat(resumed.exit()).as(resumed.err()).isZero();
    // the unfinished conversations' first assistant and user turns (2 + 2 calls) finished before the outage: they
    // come from the response cache
    assertThat(resumed.out()).contains("response cache: 4 answered from the cache");
    assertThat(teacher.calls.get()).isEqualTo(6 - 1); // self-chat only; its first call answered from the cache
    assertThat(Files.readAllBytes(out.resolve("train_sft.jsonl"))).isEqualTo(expected);
    assertThat(Files.readAllBytes(out.resolve("self_chat.jsonl"))).isEqualTo(expectedChat);

    FakeModel idle = new FakeModel("teacher", -1);
    assertThat(run(yaml, idle, new FakeModel("user", -1)).exit()).isZero();
    assertThat(idle.calls.get()).isZero(); // everything was already done
    assertThat(Files.readAllBytes(out.resolve("train_sft.jsonl"))).isEqualTo(expected);
  }

  @Test
  void badConfigsFailWithClearErrors() throws Exception {
    Path yaml = tmp.resolve("bad.yaml");
    Files.writeString(yaml, "output_dir: out\nteacher: {name: t}\nself_chat: {seeds: q.txt, min_turn: 3}\n");
    Run r = run(yaml, new FakeModel("teacher", -1), new FakeModel("user", -1));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("bad.yaml").contains("bad.yaml:3: field 'self_chat.min_turn'")
        .contains("unknown key (did you mean 'min_turns'?)");

    Files.writeString(yaml, "output_dir: out\nteacher: {name: t}\n");
    r = run(yaml, new FakeModel("teacher", -1), new FakeModel("user", -1));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("self_instruct").contains("self_chat");

    Run missing = run(tmp.resolve("missing.yaml"), null, null);
    assertThat(missing.exit()).as("a missing input file is a failure, as in every command").isEqualTo(1);
    assertThat(missing.err()).isEqualTo("zephyr dsft-data: --config: no such file: " + tmp.resolve("missing.yaml")
        + System.lineSeparator());
  }

  @Test
  void registeredInTheMainProgramWithHelp() {
    PrintStream old = System.out;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    try {
      assertThat(ZephyrCli.run("dsft-data", "--help")).isZero();
    } finally {
      System.setOut(old);
    }
    assertThat(o.toString(StandardCharsets.UTF_8)).contains("--config").contains("near_dedup")
        .contains("decontaminate");
  }

  @Test
  void badProviderEntryIsNamed() throws Exception {
    Path yaml = tmp.resolve("bad.yaml");
    Files.writeString(yaml, "output_dir: out\nteacher: {base_url: \"http://127.0.0.1:9/v1\", modle: t}\n"
        + "self_chat: {seeds: q.txt}\n");
    Run r = run(yaml, new FakeModel("teacher", -1), new FakeModel("user", -1));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("teacher.modle").contains("did you mean 'model'?");
  }

  /**
   * Over real HTTP: the default provider factory (the aif command's ProviderSpec and OpenAI-compatible client) against
   * the loopback fake server, whose first attempt at every third call fails with 429 or 500.
   */
  @Test
  @org.junit.jupiter.api.Timeout(120)
  void endToEndOverHttpWithTransientFaults() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      server.responder((model, req) -> {
        String last = req.messages().get(req.messages().size() - 1).content();
        if (last.endsWith("\n9.")) {
          Random rng = new Random(req.params().seed());
          StringBuilder sb = new StringBuilder(" Describe");
          for (int w = 0; w < 5; w++) {
            sb.append(' ').append(VOCAB[rng.nextInt(VOCAB.length)]);
          }
          return sb.append('.').toString();
        }
        return model.equals("user-model") ? "Why is that so?" : "A short answer about: " + last;
      });
      server.faults((k, attempt) -> attempt > 0 ? FakeOpenAiServer.Fault.NONE
          : switch (Math.floorMod(k.hashCode(), 3)) {
            case 0 -> FakeOpenAiServer.Fault.RATE_LIMIT;
            case 1 -> FakeOpenAiServer.Fault.SERVER_ERROR;
            default -> FakeOpenAiServer.Fault.NONE;
          });
      server.retryAfter("0");
      Files.writeString(tmp.resolve("q.txt"), "How do volcanoes form?\nWhy is the sea salty?\n");
      Path yaml = tmp.resolve("http.yaml");
      Files.writeString(yaml, """
          output_dir: out
          teacher: {name: teacher, base_url: "%1$s", model: teacher-model, max_concurrency: 4, timeout_seconds: 5,
                    max_retries: 4, retry_backoff_ms: 5, temperature: 0.3}
          user_simulator: {name: user, base_url: "%1$s", model: user-model, max_retries: 4, retry_backoff_ms: 5}
          self_instruct: {seed_tasks: %2$s, num_instructions: 3, batch_size: 2}
          self_chat: {seeds: q.txt, min_turns: 2, max_turns: 2}
          """.formatted(server.baseUrl(), TestData.path("self_instruct", "seed_tasks.jsonl")));
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      ByteArrayOutputStream e = new ByteArrayOutputStream();
      int exit = new CommandLine(new DsftDataCommand(null, new PrintStream(o, true, StandardCharsets.UTF_8),
          new PrintStream(e, true, StandardCharsets.UTF_8))).execute("--config", yaml.toString());
      assertThat(exit).as(e.toString(StandardCharsets.UTF_8)).isZero();
      List<JsonNode> train = Jsonl.readAll(tmp.resolve("out/train_sft.jsonl"));
      assertThat(train).hasSize(5); // 3 answered instructions + 2 conversations
      JsonNode chat = train.get(3);
      assertThat(chat.get("messages")).hasSize(4);
      assertThat(chat.get("messages").get(1).get("content").asText())
          .isEqualTo("A short answer about: How do volcanoes form?");
      assertThat(chat.get("messages").get(2).get("content").asText()).isEqualTo("Why is that so?");
      assertThat(server.seen()).anyMatch(s -> s.fault() == FakeOpenAiServer.Fault.RATE_LIMIT)
          .anyMatch(s -> s.fault() == FakeOpenAiServer.Fault.SERVER_ERROR);
    }
  }

  @Test
  void shippedExampleYamlIsValid() throws Exception {
    Path yaml = tmp.resolve("example.yaml");
    try (var in = DsftDataCommand.class.getResourceAsStream("/dsft-data.example.yaml")) {
      Files.write(yaml, in.readAllBytes());
    }
    dev.zephyr.data.dsft.DsftDataConfig c = dev.zephyr.data.dsft.DsftDataConfig.load(yaml);
    assertThat(c.selfInstruct().numInstructions()).isEqualTo(1000);
    assertThat(c.selfInstruct().presencePenalty()).isEqualTo(2.0);
    assertThat(c.selfChat().maxTurns()).isEqualTo(7);
    assertThat(c.clean().decontaminate().ngram()).isEqualTo(8);
    assertThat(c.testFraction()).isEqualTo(0.05);
  }

  private static void deleteRecursively(Path p) throws Exception {
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    }
  }
}
