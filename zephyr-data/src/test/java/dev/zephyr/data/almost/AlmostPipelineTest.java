package dev.zephyr.data.almost;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.data.selfchat.ChatSeed;
import dev.zephyr.data.testing.FunctionChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlmostPipelineTest {
  @TempDir Path tmp;

  /** Scores a conversation by the length of its last message. */
  static final RewardScorer BY_LENGTH = convs -> convs.stream()
      .mapToDouble(c -> c.get(c.size() - 1).content().length()).toArray();

  @Test
  void promptedGeneratorsMarkBadResponses() throws Exception {
    DemonstrationPrompt faithful = new DemonstrationPrompt(
        Files.readString(TestData.path("almost", "Faithful_prompt.txt")));
    GeneratorConfig big = new GeneratorConfig("big-Faithful-3shot", 13, 3, GeneratorConfig.FAITHFUL);
    GeneratorConfig small = new GeneratorConfig("small-Faithful-1shot", 7, 1, GeneratorConfig.FAITHFUL);
    FunctionChatModel bigModel = FunctionChatModel.text("big",
        r -> " A thorough answer that explains the idea with enough words to pass.\n\nHuman: thanks");
    FunctionChatModel smallModel = FunctionChatModel.text("small", r -> "I don't know.");
    var gen = new PromptedResponseGenerator(List.of(
        new PromptedResponseGenerator.Generator(big, bigModel, faithful,
            PromptedResponseGenerator.Generator.almostSampling(big, 1)),
        new PromptedResponseGenerator.Generator(small, smallModel, faithful,
            PromptedResponseGenerator.Generator.almostSampling(small, 1))));
    List<Map<String, String>> out = gen.respond(List.of("Why?"));
    assertThat(out.get(0)).containsEntry(big.name(),
        "A thorough answer that explains the idea with enough words to pass.")
        .containsEntry(small.name(), ResponseRules.BAD);
    assertThat(bigModel.requests.get(0).messages().get(0).content()).isEqualTo(faithful.render(3, "Why?"));
    assertThat(bigModel.requests.get(0).params().maxTokens()).isEqualTo(768);
    assertThat(smallModel.requests.get(0).messages().get(0).content()).isEqualTo(faithful.render(1, "Why?"));
  }

  @Test
  void agreementFilterKeepsPairsTheRewardModelAgreesWith() {
    SyntheticComparison agree = SyntheticComparison.of("Q", "a longer chosen answer", "short", "x", "y");
    SyntheticComparison disagree = SyntheticComparison.of("Q", "short", "a longer rejected answer", "x", "y");
    SyntheticComparison tie = SyntheticComparison.of("Q", "same1", "same2", "x", "y");
    AgreementFilter.Result r = new AgreementFilter(BY_LENGTH, 0.0, 2).filter(List.of(agree, disagree, tie));
    assertThat(r.kept()).containsExactly(agree);
    assertThat(r.disagreed()).isEqualTo(2);
  }

  @Test
  void rmspKeepsTheBestOfNAtEveryTurnAndResumes() throws Exception {
    // candidate k of a turn has k+1 exclamation-free sentences; the RM prefers the longest
    FunctionChatModel assistant = FunctionChatModel.text("assistant", r -> {
      long k = Math.floorMod(r.params().seed(), 7);
      return "Reply " + "more ".repeat((int) k) + "done.";
    });
    FunctionChatModel user = FunctionChatModel.text("user", r -> "User: and what else?");
    RmspSelfPlay.Config cfg = new RmspSelfPlay.Config(4, 3, null, 0, "Be a curious human.",
        dev.zephyr.core.chat.SamplingParams.defaults(), dev.zephyr.core.chat.SamplingParams.defaults(), 5);
    RmspSelfPlay rmsp = new RmspSelfPlay(user, assistant, BY_LENGTH, cfg);
    List<ChatSeed> seeds = List.of(new ChatSeed("s1", ChatSeed.Kind.QUESTION, "How do tides work?"),
        new ChatSeed("s2", ChatSeed.Kind.QUESTION, "What is a prime?"));
    Path out = tmp.resolve("rmsp.jsonl");
    assertThat(rmsp.run(seeds.subList(0, 1), out)).isEqualTo(1);
    assertThat(assistant.requests).hasSize(12); // 3 turns x N = 4
    RmspSelfPlay.Dialogue d = JsonlAppender.readComplete(out, RmspSelfPlay.Dialogue.class).get(0);
    assertThat(d.messages()).hasSize(6);
    assertThat(d.messages()).extracting(Message::role)
        .containsExactly(Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT);
    assertThat(d.messages().get(2).content()).isEqualTo("and what else?");
    for (int t = 0; t < 3; t++) {
      // the kept answer is the longest of that turn's four candidates
      int maxLen = assistant.requests.subList(4 * t, 4 * t + 4).stream()
          .mapToInt(q -> ("Reply " + "more ".repeat((int) Math.floorMod(q.params().seed(), 7)) + "done.").length())
          .max().orElseThrow();
      assertThat(d.messages().get(2 * t + 1).content()).hasSize(maxLen);
      assertThat(d.rewards().get(t)).isEqualTo(maxLen);
    }
    assertThat(rmsp.run(seeds, out)).isEqualTo(1); // s1 is skipped
    assertThat(assistant.requests).hasSize(24);
    assertThat(JsonlAppender.readComplete(out, RmspSelfPlay.Dialogue.class))
        .extracting(RmspSelfPlay.Dialogue::seedId).containsExactly("s1", "s2");
  }

  @Test
  void rmspWithDemonstrationsPromptsAlmostStyle() throws Exception {
    DemonstrationPrompt faithful = new DemonstrationPrompt(
        Files.readString(TestData.path("almost", "Faithful_prompt.txt")));
    FunctionChatModel assistant = FunctionChatModel.text("assistant",
        r -> " An answer of some length here.\n\nHuman: leaked turn");
    RmspSelfPlay rmsp = new RmspSelfPlay(FunctionChatModel.text("u", r -> "Go on."), assistant, BY_LENGTH,
        RmspSelfPlay.Config.defaults(2, faithful, 2, 9));
    RmspSelfPlay.Dialogue d = rmsp.play(new ChatSeed("s", ChatSeed.Kind.QUESTION, "Hi there?"));
    assertThat(d.messages()).extracting(Message::content)
        .containsExactly("Hi there?", "An answer of some length here.", "Go on.", "An answer of some length here.");
    String lastPrompt = assistant.requests.get(assistant.requests.size() - 1).messages().get(0).content();
    assertThat(lastPrompt).isEqualTo(faithful.render(2, d.messages().subList(0, 3)));
    assertThat(lastPrompt).endsWith("\n\nHuman: Hi there?\n\nAssistant: An answer of some length here."
        + "\n\nHuman: Go on.\n\nAssistant: ");
  }
}
