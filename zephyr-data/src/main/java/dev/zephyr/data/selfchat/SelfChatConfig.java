package dev.zephyr.data.selfchat;

import dev.zephyr.core.chat.SamplingParams;
import java.util.Objects;

/**
 * Settings of UltraChat-style self-chat.
 *
 * @param minTurns fewest assistant turns per conversation (UltraChat: 3 for world questions, 2 for writing)
 * @param maxTurns most assistant turns (UltraChat: 7 and 4); each conversation draws its count from its own seed
 * @param userSimulatorPrompt system prompt of the user simulator
 * @param topicOpenerPrompt instruction given to the simulator to open a conversation about a topic ({@code {topic}})
 * @param assistantSystemPrompt optional system prompt for the assistant (teacher); null for none
 * @param batchSize conversations advanced together in one {@code ChatModel.complete} call
 * @param seed seeds turn counts and per-request sampling seeds
 */
public record SelfChatConfig(
    int minTurns,
    int maxTurns,
    String userSimulatorPrompt,
    String topicOpenerPrompt,
    String assistantSystemPrompt,
    SamplingParams userSampling,
    SamplingParams assistantSampling,
    int batchSize,
    long seed) {

  /** Our own user-simulator prompt. */
  public static final String DEFAULT_USER_SIMULATOR_PROMPT = """
      You play the human side of a conversation with an AI assistant. The assistant's replies are shown to you as \
      the other party's messages. Write only your next message as that human: ask a follow-up about something the \
      assistant said, ask it to clarify or go deeper, push back where its answer looks weak, or make a related new \
      request. Keep it natural and usually short. Never answer as the assistant, never thank it at length, and never \
      announce that you are simulating a user.""";

  /** Our own opener instruction for topic seeds. */
  public static final String DEFAULT_TOPIC_OPENER_PROMPT =
      "Write the first message you would send to an AI assistant to start a conversation about this topic: {topic}. "
          + "Ask something specific that invites a detailed answer. Reply with the message only.";

  public SelfChatConfig {
    Objects.requireNonNull(userSimulatorPrompt, "user simulator prompt");
    Objects.requireNonNull(topicOpenerPrompt, "topic opener prompt");
    Objects.requireNonNull(userSampling, "user sampling");
    Objects.requireNonNull(assistantSampling, "assistant sampling");
    if (minTurns < 1 || maxTurns < minTurns) {
      throw new IllegalArgumentException("need 1 <= min_turns <= max_turns, got " + minTurns + ".." + maxTurns);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch_size must be >= 1");
    }
    if (!topicOpenerPrompt.contains("{topic}")) {
      throw new IllegalArgumentException("the topic opener prompt must contain {topic}");
    }
  }

  /** Our default prompts, sampling at temperature 0.7, the given turn range and seed. */
  public static SelfChatConfig defaults(int minTurns, int maxTurns, long seed) {
    SamplingParams p = SamplingParams.builder().temperature(0.7).topP(0.95).maxTokens(512).build();
    return new SelfChatConfig(minTurns, maxTurns, DEFAULT_USER_SIMULATOR_PROMPT, DEFAULT_TOPIC_OPENER_PROMPT, null,
        p, p, 8, seed);
  }
}
