package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatRequest;

/**
 * The quickstart's teacher: solves any prompt of the {@link InstructionWorld} from its text and writes the
 * demonstration in house style ({@code "The answer is 82."}). A stand-in for a strong LLM behind an
 * OpenAI-compatible endpoint, so that the demo runs offline; it declines prompts from outside its world.
 */
public final class RuleBasedTeacher extends RuleBasedChatModel {
  /** What the teacher says to a prompt it cannot solve. */
  public static final String DECLINE = "I can only answer questions from the quickstart world.";

  public RuleBasedTeacher() {
    super("rule-based-teacher");
  }

  @Override
  String reply(ChatRequest request, String user, int choice) {
    return InstructionWorld.solve(user).map(InstructionWorld::respond).orElse(DECLINE);
  }
}
