package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatRequest;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A weaker generator for the AI-feedback pool: answers like the teacher, but with probability {@code errorRate}
 * makes one of the mistakes the judge's rubric punishes: a wrong answer, a verbose answer, or a correct answer out of
 * format. Deterministic: the same seed, request seed, prompt and choice index give the same text.
 */
public final class NoisyTeacher extends RuleBasedChatModel {
  /** The mistakes it makes, each equally likely when it errs. */
  public enum Mistake { WRONG_ANSWER, VERBOSE, BARE_ANSWER, WRONG_FORMAT }

  private static final List<String> FILLERS = List.of(
      "Let me think about this carefully.",
      "This is a good question and I am happy to help.",
      "I worked through it step by step before answering.",
      "Here is what I found after checking twice.");

  private final long seed;
  private final double errorRate;

  public NoisyTeacher(long seed, double errorRate) {
    super("noisy-teacher");
    if (errorRate < 0 || errorRate > 1) {
      throw new IllegalArgumentException("errorRate must be in [0, 1], got " + errorRate);
    }
    this.seed = seed;
    this.errorRate = errorRate;
  }

  @Override
  String reply(ChatRequest request, String user, int choice) {
    Optional<String> answer = InstructionWorld.solve(user);
    if (answer.isEmpty()) {
      return RuleBasedTeacher.DECLINE;
    }
    long requestSeed = request.params().seed() == null ? 0 : request.params().seed();
    Random r = new Random(seed * 1_000_003L + requestSeed * 31 + user.hashCode() * 17L + choice);
    if (r.nextDouble() >= errorRate) {
      return InstructionWorld.respond(answer.get());
    }
    return corrupt(answer.get(), Mistake.values()[r.nextInt(Mistake.values().length)], r);
  }

  /** The response with one specific mistake. */
  public static String corrupt(String answer, Mistake mistake, Random r) {
    return switch (mistake) {
      case WRONG_ANSWER -> InstructionWorld.respond(InstructionWorld.wrongAnswer(answer, r));
      case VERBOSE -> FILLERS.get(r.nextInt(FILLERS.size())) + " " + FILLERS.get(r.nextInt(FILLERS.size())) + " "
          + InstructionWorld.respond(answer);
      case BARE_ANSWER -> answer;
      case WRONG_FORMAT -> "answer: " + answer;
    };
  }
}
