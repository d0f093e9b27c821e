package dev.zephyr.data.almost;

import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import java.util.ArrayList;
import java.util.List;

/**
 * ALMoST's few-shot dialogue prompt, built from a demonstration file (the preamble and dialogues separated by
 * {@code "\n\n-----"}, such as {@code HHH_prompt.txt} or {@code Faithful_prompt.txt}). The prompt is the preamble
 * and the first {@code shots} dialogues joined by the separator, the separator once more, then the conversation as
 * {@code "\n\nHuman: ...\n\nAssistant: ..."} ending with an open {@code "\n\nAssistant: "}. (ALMoST treats
 * {@code n_shot = 0} as "all dialogues"; here 0 means none and {@link #maxShots()} gives all.)
 */
public final class DemonstrationPrompt {
  /** The separator between the preamble and the dialogues. */
  public static final String SEPARATOR = "\n\n-----";

  private final List<String> pieces;

  /** Splits the file's text into preamble and dialogues. */
  public DemonstrationPrompt(String fileText) {
    List<String> p = new ArrayList<>();
    for (String piece : fileText.split(java.util.regex.Pattern.quote(SEPARATOR), -1)) {
      if (!piece.strip().isEmpty()) { // blank pieces (the file's tail) are dropped, as ALMoST does
        p.add(piece);
      }
    }
    if (p.isEmpty()) {
      throw new IllegalArgumentException("the demonstration file is empty");
    }
    this.pieces = List.copyOf(p);
  }

  /** Number of dialogues after the preamble (the most shots this file can give). */
  public int maxShots() {
    return pieces.size() - 1;
  }

  /** The prompt for one query. */
  public String render(int shots, String query) {
    return render(shots, List.of(Message.user(query)));
  }

  /** The prompt for a conversation that ends with a user turn. */
  public String render(int shots, List<Message> conversation) {
    if (shots < 0 || shots > maxShots()) {
      throw new IllegalArgumentException("shots must be in [0, " + maxShots() + "] for this file, got " + shots);
    }
    StringBuilder sb = new StringBuilder(String.join(SEPARATOR, pieces.subList(0, shots + 1))).append(SEPARATOR);
    for (Message m : conversation) {
      if (m.role() == Role.USER) {
        sb.append("\n\nHuman: ").append(m.content());
      } else if (m.role() == Role.ASSISTANT) {
        sb.append("\n\nAssistant: ").append(m.content());
      }
    }
    return sb.append("\n\nAssistant: ").toString();
  }
}
