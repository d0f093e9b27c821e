package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatRequest;
import java.util.Random;

/**
 * The quickstart's dSFT teacher: always right, but, like the chat models that wrote Zephyr's dSFT data, often chatty:
 * with probability {@code chattiness} it opens with a pleasantry before the house-style answer. The judge's rubric
 * values concision, so the student inherits a habit that dSFT alone does not remove and that AI feedback and dDPO can.
 * Deterministic: the same seed and prompt give the same text.
 */
public final class ChattyTeacher extends RuleBasedChatModel {
  /** The opening a chatty demonstration starts with. */
  public static final String OPENING = "Sure, I can help with that!";

  private final long seed;
  private final double chattiness;

  public ChattyTeacher(long seed, double chattiness) {
    super("chatty-teacher");
    if (chattiness < 0 || chattiness > 1) {
      throw new IllegalArgumentException("chattiness must be in [0, 1], got " + chattiness);
    }
    this.seed = seed;
    this.chattiness = chattiness;
  }

  @Override
  String reply(ChatRequest request, String user, int choice) {
    return InstructionWorld.solve(user).map(answer -> {
      Random r = new Random(seed * 1_000_003L + user.hashCode() * 31L + choice);
      String reply = InstructionWorld.respond(answer);
      return r.nextDouble() < chattiness ? OPENING + " " + reply : reply;
    }).orElse(RuleBasedTeacher.DECLINE);
  }
}
