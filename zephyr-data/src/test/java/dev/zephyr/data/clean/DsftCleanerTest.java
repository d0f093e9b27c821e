package dev.zephyr.data.clean;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.Message;
import dev.zephyr.data.rows.SftRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DsftCleanerTest {
  private static SftRecord conv(String user, String assistant) {
    return SftRecord.of(List.of(Message.user(user), Message.assistant(assistant)));
  }

  @Test
  void eachStageCountsWhatItDid() {
    String longAnswer = "Volcanoes form where magma from the mantle rises through weak spots in the crust. "
        + "Over many eruptions, layers of lava and ash pile up into a mountain. Plates pulling apart or one plate "
        + "diving under another create most of these weak spots, and hot spots such as Hawaii make the rest. "
        + "The shape of a volcano depends on how runny its lava is and how much gas it holds.";
    List<SftRecord> input = List.of(
        conv("How do volcanoes form?", longAnswer),                                    // kept
        conv("How do  volcanoes form?", longAnswer + " "),                             // exact duplicate
        conv("Tell me how volcanoes form.", longAnswer.replace("many", "several")),    // near duplicate
        conv("Do you like jazz?", "As an AI, I do not have personal preferences. Jazz started in New Orleans."),
        conv("Compose an engaging travel blog post about a recent trip to Hawaii, please.", "Aloha. here goes."),
        conv("what is rust? explain.", "rust is a language. it is fast."),             // truecased, kept
        conv("Give the names of some famous actors that started their careers on Broadway", "Many did."));
    DsftCleaner cleaner = new DsftCleaner(true, PersonaAnswerFilter.defaults(), true,
        MinHashDeduplicator.defaults(1), new Decontaminator(DecontaminatorTest.evalPrompts(), 8, 5));
    DsftCleaner.Result r = cleaner.clean(input);
    CleaningReport rep = r.report();
    assertThat(rep.input()).isEqualTo(7);
    assertThat(rep.truecasedRecords()).isEqualTo(2); // the rust record and the Hawaii answer
    assertThat(rep.truecasedMessages()).isEqualTo(3);
    assertThat(rep.personaAnswers()).isEqualTo(1);
    assertThat(rep.exactDuplicates()).isEqualTo(1);
    assertThat(rep.nearDuplicates()).isEqualTo(1);
    assertThat(rep.contaminated()).isEqualTo(2);
    assertThat(rep.contaminatedBySource()).isEqualTo(Map.of("mt_bench", 1, "alpaca_eval", 1));
    assertThat(rep.output()).isEqualTo(2);
    assertThat(r.records()).extracting(SftRecord::prompt)
        .containsExactly("How do volcanoes form?", "What is rust? Explain.");
    assertThat(r.records().get(1).messages().get(1).content()).isEqualTo("Rust is a language. It is fast.");
    assertThat(r.records().get(1).promptId()).isEqualTo(SftRecord.promptId("What is rust? Explain."));
    assertThat(rep.summary()).contains("-1 exact duplicates", "2 out");
  }
}
