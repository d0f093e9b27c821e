package dev.zephyr.data.instruct;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InstructionFilterTest {

  @Test
  void splitsNumberedListAndNormalizesLikePythonCapitalize() {
    InstructionFilter f = InstructionFilter.selfInstructDefaults();
    var kept = f.extract(" Summarize the   article about NASA in two sentences.\n10. Translate this sentence into "
        + "French please.\n11 . List five uses of baking soda at home.");
    assertThat(kept).containsExactly(
        "Summarize the article about nasa in two sentences.",
        "Translate this sentence into french please.",
        "List five uses of baking soda at home.");
  }

  @Test
  void leadingNumberOfAChatModelIsRemoved() {
    assertThat(InstructionFilter.splitNumbered("9. First task here now\n10. Second task here now"))
        .containsExactly("", "First task here now", "Second task here now");
  }

  @Test
  void eachRuleDropsAndCounts() {
    InstructionFilter f = InstructionFilter.selfInstructDefaults();
    String text = String.join("\n",
        "Too short item",                                  // 3 words -> too_short
        "2. Describe the image shown below carefully.",    // blacklist image
        "3. Explain how to go to the station quickly.",    // blacklist phrase "go to"
        "4. Write a program that sorts numbers quickly.",  // write a program
        "5. \"quoted\" instruction starts with a quote.",  // punctuation
        "6. Élaborez une recette simple pour le dîner.",   // non-ASCII first char
        "7. Explain why profiled code runs faster.",       // "profiled" is not the word "file": kept
        "8. " + "word ".repeat(151).strip());              // 151 words -> too_long
    assertThat(f.extract(text)).containsExactly("Explain why profiled code runs faster.");
    assertThat(f.droppedCounts()).containsEntry("too_short", 1).containsEntry("blacklisted_word", 2)
        .containsEntry("write_a_program", 1).containsEntry("starts_with_punctuation", 1)
        .containsEntry("starts_non_ascii", 1).containsEntry("too_long", 1);
  }

  @Test
  void boundaryWordCounts() {
    InstructionFilter f = InstructionFilter.selfInstructDefaults();
    assertThat(f.rejectReason("Name three colors")).contains("too_short");
    assertThat(f.rejectReason("Name three primary colors")).isEmpty();
    assertThat(f.rejectReason(("w ".repeat(150)).strip())).isEmpty();
  }
}
