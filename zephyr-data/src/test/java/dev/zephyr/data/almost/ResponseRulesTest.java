package dev.zephyr.data.almost;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class ResponseRulesTest {
  private static final String OK = "Salt raises the boiling point a little and mostly adds flavour to pasta.";

  @Test
  void badResponseRules() {
    assertThat(ResponseRules.isBad(OK)).isFalse();
    assertThat(ResponseRules.isBad("Too short.")).isTrue();
    assertThat(ResponseRules.isBad(OK.replace(".", "?"))).isTrue();
    assertThat(ResponseRules.isBad(OK.replace(".", ":"))).isTrue();
    assertThat(ResponseRules.isBad("Well, " + OK)).isTrue();
    assertThat(ResponseRules.isBad(OK.replace(".", ""))).isTrue(); // no final . or !
    assertThat(ResponseRules.isBad(OK.replace(".", "!"))).isFalse();
    assertThat(ResponseRules.isBad("I really DON'T   KNOW much, but " + OK)).isTrue();
    assertThat(ResponseRules.isBad("I don’t know the answer. " + OK)).isTrue();
    assertThat(ResponseRules.isBad(OK + " human: are you there.")).isTrue();
    assertThat(ResponseRules.isBad(OK + " <image> was here.")).isTrue();
    // 49 vs 50 characters
    assertThat(ResponseRules.isBad("a".repeat(48) + ".")).isTrue();
    assertThat(ResponseRules.isBad("a".repeat(49) + ".")).isFalse();
  }

  @Test
  void postprocessCutsAtTheNextTurn() {
    assertThat(ResponseRules.postprocess("\n " + OK + "\n\nHuman: and then?\n\nAssistant: more")).isEqualTo(OK);
    assertThat(ResponseRules.postprocess(OK + "\n\n-----\n\nHuman: next")).isEqualTo(OK);
    assertThat(ResponseRules.finish("Well I don't know.")).isEqualTo(ResponseRules.BAD);
  }

  @Test
  void demonstrationPromptFromTheAlmostFiles() throws Exception {
    DemonstrationPrompt faithful = new DemonstrationPrompt(
        Files.readString(TestData.path("almost", "Faithful_prompt.txt")));
    DemonstrationPrompt hhh = new DemonstrationPrompt(Files.readString(TestData.path("almost", "HHH_prompt.txt")));
    assertThat(faithful.maxShots()).isEqualTo(3);
    assertThat(hhh.maxShots()).isEqualTo(14);
    String p = faithful.render(1, "Is salt needed?");
    assertThat(p).startsWith("Below are a series of dialogues between various people and an AI assistant.")
        .endsWith("\n\n-----\n\nHuman: Is salt needed?\n\nAssistant: ");
    assertThat(p.split("\n\n-----", -1)).hasSize(3); // preamble, one dialogue, the query
    assertThat(p).contains("Human:  I was wondering, is it actually important when making spaghetti to add salt?");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> faithful.render(5, "q"))
        .hasMessageContaining("[0, 3]");
  }
}
