package dev.zephyr.data.clean;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TruecaserTest {

  @Test
  void upperCasesSentenceStarts() {
    assertThat(Truecaser.apply("Hello. how are you?")).isEqualTo("Hello. How are you?");
    assertThat(Truecaser.apply("hello world")).isEqualTo("Hello world");
    assertThat(Truecaser.apply("Done? yes! of course.")).isEqualTo("Done? Yes! Of course.");
    assertThat(Truecaser.apply("One.\n\"quoted start\" here.")).isEqualTo("One.\n\"Quoted start\" here.");
    assertThat(Truecaser.apply("First paragraph\n\nsecond paragraph")).isEqualTo("First paragraph\n\nSecond paragraph");
  }

  @Test
  void leavesAbbreviationsEllipsesCodeAndOddWordsAlone() {
    String[] unchanged = {
        "Fruit, e.g. apples, is good.",
        "Wait... what happened?",
        "Run `ls -la. then` again.",
        "Code:\n```\nx = 1. y = 2\n```\nDone.",
        "Great. iPhone sales rose.",
        "Meet Dr. smith tomorrow.",
        "Version 2. x86 builds are out.",
        "Already Fine. Nothing to do.",
    };
    for (String s : unchanged) {
      assertThat(Truecaser.apply(s)).as(s).isSameAs(s);
    }
  }
}
