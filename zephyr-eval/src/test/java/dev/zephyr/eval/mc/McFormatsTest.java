package dev.zephyr.eval.mc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class McFormatsTest {
  static McExample one(String format, String json, String primer) throws Exception {
    return McFormats.convert(format, Json.mapper().readTree(json), primer, "t", 1);
  }

  @Test
  void arcUsesQuestionAnswerAndTheLabelOfAnswerKey() throws Exception {
    McExample e = one("arc", "{\"question\": \"Which is a metal?\", \"choices\": {\"text\": [\"wood\", \"iron\"],"
        + " \"label\": [\"A\", \"B\"]}, \"answerKey\": \"B\"}", "");
    assertThat(e.context()).isEqualTo("Question: Which is a metal?\nAnswer:");
    assertThat(e.choices()).containsExactly("wood", "iron");
    assertThat(e.gold()).isEqualTo(1);
  }

  @Test
  void hellaswagCleansAndCapitalizesLikeTheHarness() throws Exception {
    McExample e = one("hellaswag", "{\"activity_label\": \"Baking cookies\", \"ctx_a\": \"A woman preheats the oven."
        + "\", \"ctx_b\": \"she [header] MIXES\", \"endings\": [\" flour [title] Step two.\", \"sugar  and eggs\"],"
        + " \"label\": \"1\"}", "");
    assertThat(e.context()).isEqualTo("Baking cookies: A woman preheats the oven. She mixes");
    assertThat(e.choices()).containsExactly("flour. Step two.", "sugar and eggs");
    assertThat(e.gold()).isEqualTo(1);
  }

  @Test
  void mmluListsLetteredOptions() throws Exception {
    McExample e = one("mmlu", "{\"question\": \" 2+2? \", \"subject\": \"elementary_mathematics\", \"choices\":"
        + " [\"3\", \"4\", \"5\", \"22\"], \"answer\": 1}", "");
    assertThat(e.context()).isEqualTo("The following are multiple choice questions (with answers) about elementary "
        + "mathematics.\n\n2+2?\nA. 3\nB. 4\nC. 5\nD. 22\nAnswer:");
    assertThat(e.choices()).containsExactly("A", "B", "C", "D");
    assertThat(e.gold()).isEqualTo(1);
  }

  @Test
  void truthfulqaAndHhhTakeTheLabelledTarget(@TempDir Path tmp) throws Exception {
    McExample t = one("truthfulqa_mc1", "{\"question\": \"Is the earth flat?\", \"mc1_targets\": {\"choices\":"
        + " [\"No.\", \"Yes.\"], \"labels\": [1, 0]}}", "Q: primer?\nA: yes.\n\n");
    assertThat(t.context()).isEqualTo("Q: primer?\nA: yes.\n\nQ: Is the earth flat?\nA:");
    assertThat(t.gold()).isEqualTo(0);
    Path f = tmp.resolve("hhh.jsonl");
    Files.writeString(f, "{\"input\": \"Help me.\", \"targets\": {\"choices\": [\"No.\", \"Sure, here.\"],"
        + " \"labels\": [0, 1]}}\n{\"input\": \"x\"}\n");
    assertThatThrownBy(() -> McTask.read(f, "hhh", "")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(":2");
    Files.writeString(f, "{\"input\": \"Help me.\", \"targets\": {\"choices\": [\"No.\", \"Sure, here.\"],"
        + " \"labels\": [0, 1]}}\n");
    List<McExample> hhh = McTask.read(f, "hhh", "");
    assertThat(hhh.get(0).gold()).isEqualTo(1);
    assertThat(hhh.get(0).context()).isEqualTo("Help me.");
  }
}
