package dev.zephyr.data.clean;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PersonaAnswerFilterTest {
  private final PersonaAnswerFilter f = PersonaAnswerFilter.defaults();

  @Test
  void matchesEmotionAndOpinionDisclaimers() {
    assertThat(f.match("As an AI language model, I don't have personal opinions, but here are facts.")).isPresent();
    assertThat(f.match("I do not have emotions like humans do.")).contains("I do not have emotions");
    assertThat(f.match("Honestly, I don’t have feelings about it.")).isPresent();
    assertThat(f.match("I am not capable of having preferences.")).isPresent();
    assertThat(f.match("As an AI, I cannot feel joy.")).isPresent();
  }

  @Test
  void leavesOrdinaryAnswersAlone() {
    assertThat(f.match("I do not have access to the internet, but the capital of France is Paris.")).isEmpty();
    assertThat(f.match("Many people have strong opinions about pineapple on pizza.")).isEmpty();
    assertThat(f.match("The novel explores emotions such as grief.")).isEmpty();
  }
}
