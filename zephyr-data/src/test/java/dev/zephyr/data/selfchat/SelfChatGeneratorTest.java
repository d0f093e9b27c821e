package dev.zephyr.data.selfchat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.data.rows.SftRecord;
import dev.zephyr.data.testing.FunctionChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfChatGeneratorTest {
  @TempDir Path tmp;

  /** The user simulator writes "User: follow-up k on <last assistant words>"; topics get an opening question. */
  static FunctionChatModel simulator() {
    return FunctionChatModel.text("sim", r -> {
      String last = FunctionChatModel.lastText(r);
      if (last.contains("start a conversation about this topic:")) {
        String topic = last.substring(last.indexOf("topic: ") + 7, last.indexOf(". Ask"));
        return "User: What should I know about " + topic + "?";
      }
      long userTurns = r.messages().stream().filter(m -> m.role() == Role.ASSISTANT).count();
      return "Follow-up " + userTurns + " on: " + last.substring(0, Math.min(20, last.length()));
    });
  }

  static FunctionChatModel teacher() {
    return FunctionChatModel.text("teacher", r -> "Answer to: " + FunctionChatModel.lastText(r) + " (seed "
        + r.params().seed() + ")");
  }

  private Path seeds() throws Exception {
    Path p = tmp.resolve("seeds.jsonl");
    Files.writeString(p, """
        {"id": "q1", "question": "How do volcanoes form?"}
        {"id": "t1", "topic": "sourdough baking"}
        {"question": "Why is the sky blue?"}
        """);
    return p;
  }

  @Test
  void alternatesTurnsWithinTheRangeAndSwapsRolesForTheSimulator() throws Exception {
    FunctionChatModel sim = simulator();
    FunctionChatModel teacher = teacher();
    SelfChatConfig cfg = SelfChatConfig.defaults(2, 4, 11);
    Path out = tmp.resolve("chat.jsonl");
    SelfChatGenerator.Result r = new SelfChatGenerator(sim, teacher, cfg).run(ChatSeed.load(seeds()), out);
    assertThat(r.written()).isEqualTo(3);
    List<SelfChatGenerator.Conversation> convs = JsonlAppender.readComplete(out, SelfChatGenerator.Conversation.class);
    assertThat(convs).extracting(SelfChatGenerator.Conversation::seedId).containsExactly("q1", "t1", "seed-3");
    for (SelfChatGenerator.Conversation c : convs) {
      List<Message> m = c.messages();
      assertThat(m.size() % 2).isZero();
      assertThat(m.size() / 2).isBetween(2, 4);
      for (int i = 0; i < m.size(); i++) {
        assertThat(m.get(i).role()).isEqualTo(i % 2 == 0 ? Role.USER : Role.ASSISTANT);
      }
      assertThat(c.prompt()).isEqualTo(m.get(0).content());
      assertThat(c.promptId()).isEqualTo(SftRecord.promptId(c.prompt())).hasSize(64);
      // each assistant turn answers the user turn before it
      for (int i = 1; i < m.size(); i += 2) {
        assertThat(m.get(i).content()).startsWith("Answer to: " + m.get(i - 1).content() + " (seed ");
      }
    }
    assertThat(convs.get(0).prompt()).isEqualTo("How do volcanoes form?");
    assertThat(convs.get(1).prompt()).isEqualTo("What should I know about sourdough baking?"); // label stripped
    assertThat(convs.get(0).messages().get(2).content()).isEqualTo("Follow-up 1 on: Answer to: How do vo");
    // the simulator saw its own turns as assistant and the teacher's as user, under its system prompt
    ChatRequest followUp = sim.requests.stream().filter(q -> q.messages().size() == 3).findFirst().orElseThrow();
    assertThat(followUp.messages().get(0)).isEqualTo(Message.system(SelfChatConfig.DEFAULT_USER_SIMULATOR_PROMPT));
    assertThat(followUp.messages().get(1).role()).isEqualTo(Role.ASSISTANT);
    assertThat(followUp.messages().get(2).role()).isEqualTo(Role.USER);
  }

  @Test
  void sameSeedSameBytesAndResumeSkipsFinishedSeeds() throws Exception {
    SelfChatConfig cfg = SelfChatConfig.defaults(1, 5, 3);
    List<ChatSeed> seeds = ChatSeed.load(seeds());
    Path a = tmp.resolve("a.jsonl");
    Path b = tmp.resolve("b.jsonl");
    new SelfChatGenerator(simulator(), teacher(), cfg).run(seeds, a);
    new SelfChatGenerator(simulator(), teacher(), cfg).run(seeds.subList(0, 1), b);
    FunctionChatModel teacher2 = teacher();
    SelfChatGenerator.Result r = new SelfChatGenerator(simulator(), teacher2, cfg).run(seeds, b);
    assertThat(r.resumed()).isEqualTo(1);
    assertThat(r.written()).isEqualTo(2);
    assertThat(teacher2.requests).noneMatch(q -> q.messages().get(0).content().equals("How do volcanoes form?"));
    assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));
  }

  @Test
  void emptyAnswerAbandonsTheConversation() throws Exception {
    FunctionChatModel silent = FunctionChatModel.text("silent", r -> "  ");
    SelfChatGenerator.Result r = new SelfChatGenerator(simulator(), silent, SelfChatConfig.defaults(2, 2, 1))
        .run(ChatSeed.load(seeds()), tmp.resolve("c.jsonl"));
    assertThat(r.written()).isZero();
    assertThat(r.abandoned()).isEqualTo(3);
  }

  @Test
  void aConversationWithAFailedCallIsNotWrittenAndIsPlayedByTheNextRun() throws Exception {
    // the teacher's call on the second turn of the sourdough conversation fails for good
    FunctionChatModel flaky = FunctionChatModel.text("teacher", r -> {
      if (r.messages().size() > 1 && r.messages().get(0).content().contains("sourdough")) {
        throw new ProviderException("teacher", 503, true, "overloaded");
      }
      return "Answer to: " + FunctionChatModel.lastText(r);
    });
    SelfChatConfig cfg = SelfChatConfig.defaults(2, 2, 5);
    Path out = tmp.resolve("chat.jsonl");
    FailureLog failures = FailureLog.inDirectory(tmp);
    SelfChatGenerator.Result r;
    try (failures) {
      r = new SelfChatGenerator(simulator(), flaky, cfg).failures(failures).run(ChatSeed.load(seeds()), out);
    }
    assertThat(r.counts()).isEqualTo(new WorkCounts("self-chat conversations", 2, 1, 0));
    assertThat(JsonlAppender.readComplete(out, SelfChatGenerator.Conversation.class))
        .extracting(SelfChatGenerator.Conversation::seedId).containsExactly("q1", "seed-3");
    assertThat(Files.readString(tmp.resolve("failures.jsonl"))).contains("\"item\":\"t1\"").contains("overloaded");

    FunctionChatModel fixed = teacher();
    SelfChatGenerator.Result again = new SelfChatGenerator(simulator(), fixed, cfg).run(ChatSeed.load(seeds()), out);
    assertThat(again.counts()).isEqualTo(new WorkCounts("self-chat conversations", 3, 0, 0));
    assertThat(again.written()).isEqualTo(1);
    assertThat(fixed.requests).allSatisfy(q -> assertThat(q.messages().get(0).content()).contains("sourdough"));
  }

  @Test
  void plainTextSeedsAndBadJsonl() throws Exception {
    Path txt = tmp.resolve("q.txt");
    Files.writeString(txt, "First question?\n\nSecond question?\n");
    assertThat(ChatSeed.load(txt)).containsExactly(new ChatSeed("seed-1", ChatSeed.Kind.QUESTION, "First question?"),
        new ChatSeed("seed-3", ChatSeed.Kind.QUESTION, "Second question?"));
    Path bad = tmp.resolve("bad.jsonl");
    Files.writeString(bad, "{\"question\": \"ok\"}\n{\"nothing\": 1}\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ChatSeed.load(bad))
        .isInstanceOf(dev.zephyr.core.InvalidInputException.class).hasMessageContaining("bad.jsonl:2");
  }
}
