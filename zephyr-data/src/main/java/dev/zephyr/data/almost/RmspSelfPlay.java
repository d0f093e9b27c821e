package dev.zephyr.data.almost;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.data.instruct.SelfInstructGenerator;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.data.selfchat.ChatSeed;
import dev.zephyr.data.selfchat.SelfChatConfig;
import dev.zephyr.data.selfchat.SelfChatGenerator;
import dev.zephyr.data.rows.SftRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * ALMoST's reward-model-guided self-play (RMSP): a prompted user model and a prompted assistant model talk for a
 * number of turns; at every assistant turn {@code n} candidates are sampled and the one the reward model scores
 * highest is kept (best-of-N, first wins on ties). The dialogues become SFT demonstrations.
 *
 * <p>Candidates are {@code n} separate requests with different seeds, so any provider works. When demonstrations are
 * given the assistant is prompted ALMoST-style (the whole dialogue rendered into a few-shot "Human:/Assistant:"
 * prompt, response post-processed); otherwise it is simply asked to continue the conversation. Each finished
 * dialogue is appended with its {@code seed_id}; a rerun skips finished seeds.
 */
public final class RmspSelfPlay {

  /**
   * @param n candidates per assistant turn (ALMoST: 4)
   * @param turns assistant turns per dialogue (not published for ALMoST; configurable)
   * @param demonstrations few-shot dialogues for the assistant, or null to chat plainly
   * @param shots how many of them to show
   * @param userSimulatorPrompt system prompt of the user model
   */
  public record Config(int n, int turns, DemonstrationPrompt demonstrations, int shots, String userSimulatorPrompt,
      SamplingParams assistantSampling, SamplingParams userSampling, long seed) {
    public Config {
      Objects.requireNonNull(userSimulatorPrompt, "user simulator prompt");
      Objects.requireNonNull(assistantSampling, "assistant sampling");
      Objects.requireNonNull(userSampling, "user sampling");
      if (n < 1 || turns < 1) {
        throw new IllegalArgumentException("n and turns must be >= 1");
      }
    }

    /** N = 4, the given turns, our user-simulator prompt, ALMoST's assistant decoding (T 1.0, top_p 0.9). */
    public static Config defaults(int turns, DemonstrationPrompt demonstrations, int shots, long seed) {
      SamplingParams a = SamplingParams.builder().temperature(1.0).topP(0.9).maxTokens(768)
          .stop(List.of("\n\nHuman:", DemonstrationPrompt.SEPARATOR)).build();
      SamplingParams u = SamplingParams.builder().temperature(0.7).topP(0.95).maxTokens(256).build();
      return new Config(4, turns, demonstrations, shots, SelfChatConfig.DEFAULT_USER_SIMULATOR_PROMPT, a, u, seed);
    }
  }

  /** A finished dialogue: SFT columns, the seed and the reward of each kept assistant turn. */
  public record Dialogue(
      @com.fasterxml.jackson.annotation.JsonProperty("prompt") String prompt,
      @com.fasterxml.jackson.annotation.JsonProperty("prompt_id") String promptId,
      @com.fasterxml.jackson.annotation.JsonProperty("messages") List<Message> messages,
      @com.fasterxml.jackson.annotation.JsonProperty("seed_id") String seedId,
      @com.fasterxml.jackson.annotation.JsonProperty("rewards") List<Double> rewards) {

    public SftRecord toSft() {
      return new SftRecord(prompt, promptId, messages);
    }
  }

  private final ChatModel userModel;
  private final ChatModel assistantModel;
  private final RewardScorer rewardModel;
  private final Config config;

  public RmspSelfPlay(ChatModel userModel, ChatModel assistantModel, RewardScorer rewardModel, Config config) {
    this.userModel = userModel;
    this.assistantModel = assistantModel;
    this.rewardModel = rewardModel;
    this.config = config;
  }

  /** Plays every seed question not yet in {@code output}; returns the number of dialogues written now. */
  public int run(List<ChatSeed> seeds, Path output) {
    Set<String> done = new HashSet<>();
    for (Dialogue d : JsonlAppender.readComplete(output, Dialogue.class)) {
      done.add(d.seedId());
    }
    int written = 0;
    try (JsonlAppender out = JsonlAppender.open(output)) {
      for (ChatSeed s : seeds) {
        if (done.contains(s.id())) {
          continue;
        }
        if (s.kind() != ChatSeed.Kind.QUESTION) {
          throw new IllegalArgumentException("RMSP starts from questions; seed '" + s.id() + "' is a topic");
        }
        Dialogue d = play(s);
        if (d != null) {
          out.append(d);
          written++;
        }
      }
    }
    return written;
  }

  /** One dialogue, or null when the simulator stopped producing user turns before the first answer. */
  public Dialogue play(ChatSeed seed) {
    List<Message> conv = new ArrayList<>();
    conv.add(Message.user(seed.text()));
    List<Double> rewards = new ArrayList<>();
    for (int t = 0; t < config.turns(); t++) {
      List<ChatRequest> requests = new ArrayList<>();
      for (int k = 0; k < config.n(); k++) {
        long s = SelfInstructGenerator.mix(config.seed(), ((long) seed.id().hashCode() << 20) ^ (t * 64L + k));
        requests.add(ChatRequest.of(assistantContext(conv), config.assistantSampling().toBuilder().seed(s).build()));
      }
      List<ChatResponse> responses = assistantModel.complete(requests);
      List<String> candidates = new ArrayList<>();
      List<List<Message>> scored = new ArrayList<>();
      for (ChatResponse r : responses) {
        String text = config.demonstrations() != null ? ResponseRules.postprocess(r.text()) : r.text().strip();
        candidates.add(text);
        List<Message> withCandidate = new ArrayList<>(conv);
        withCandidate.add(Message.assistant(text));
        scored.add(withCandidate);
      }
      double[] scores = rewardModel.score(scored);
      int best = argmax(scores);
      conv.add(Message.assistant(candidates.get(best)));
      rewards.add(scores[best]);
      if (t + 1 == config.turns()) {
        break;
      }
      long us = SelfInstructGenerator.mix(config.seed(), ((long) seed.id().hashCode() << 20) ^ (t * 64L + 63));
      String next = SelfChatGenerator.cleanUserTurn(userModel.complete(ChatRequest.of(
          SelfChatGenerator.simulatorView(config.userSimulatorPrompt(), conv),
          config.userSampling().toBuilder().seed(us).build())).text());
      if (next.isEmpty()) {
        break;
      }
      conv.add(Message.user(next));
    }
    SftRecord r = SftRecord.of(conv);
    return new Dialogue(r.prompt(), r.promptId(), r.messages(), seed.id(), rewards);
  }

  private List<Message> assistantContext(List<Message> conv) {
    if (config.demonstrations() == null) {
      return conv;
    }
    return List.of(Message.user(config.demonstrations().render(config.shots(), conv)));
  }

  /** Index of the highest score; the first wins ties. */
  static int argmax(double[] scores) {
    int best = 0;
    for (int i = 1; i < scores.length; i++) {
      if (scores[i] > scores[best]) {
        best = i;
      }
    }
    return best;
  }
}
