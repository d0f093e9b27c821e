package dev.zephyr.data.almost;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.TestData;
import dev.zephyr.data.testing.FunctionChatModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class QueryGeneratorTest {

  @Test
  void extractionSkipsTheOpenLineAsAlmostDoes() {
    assertThat(QueryGenerator.extract(" How do magnets work?\nQuery: What is the best way to learn chess? "
        + "query: another\nQuery: third")).contains("What is the best way to learn chess?");
    // the exact-case prefix is deleted everywhere first (a quirk of the released code), so it does not cut
    assertThat(QueryGenerator.extract("x\n  Query: Why is ice slippery? Query: more")).contains("Why is ice slippery?  more");
    assertThat(QueryGenerator.extract(" Only the open line.")).isEmpty();
  }

  @Test
  void lengthRulesIncludingTheDoubleNegation() {
    QueryGenerator g = new QueryGenerator(null, "i", List.of(), dev.zephyr.data.instruct.RougeL::tokenize, false, 1);
    assertThat(g.badLength("Short one")).isTrue();
    assertThat(g.badLength("Short one?")).isFalse();
    assertThat(g.badLength("a".repeat(251) + ".")).isTrue();
    assertThat(g.badLength("a".repeat(252))).isFalse(); // the released code keeps long queries without punctuation
    QueryGenerator strict = new QueryGenerator(null, "i", List.of(), dev.zephyr.data.instruct.RougeL::tokenize, true,
        1);
    assertThat(strict.badLength("a".repeat(252))).isTrue();
  }

  @Test
  void generatesNovelQueriesFromTheSeedFile() {
    FunctionChatModel model = FunctionChatModel.text("m", r -> {
      long s = r.params().seed();
      return " ignored\nQuery: Which quokka habitats near river " + Math.floorMod(s, 1000) + " flood yearly?\nQuery: x";
    });
    QueryGenerator g = QueryGenerator.fromSeedFile(model, TestData.path("almost", "seed_prompts.txt"), 5);
    List<String> mined = g.generate(2, 3);
    String p = model.requests.get(0).messages().get(0).content();
    assertThat(p).startsWith("### Instruction: Please generate initial query to start conversation with bot.\n\n")
        .endsWith("\nQuery:");
    assertThat(p.lines().filter(l -> l.startsWith("Query: "))).hasSize(10);
    assertThat(model.requests.get(0).params().temperature()).isEqualTo(1.2);
    // every later candidate differs only in the number: ROUGE-L >= 0.5 against the first, so only one is kept
    assertThat(mined).hasSize(1);
    assertThat(mined.get(0)).startsWith("Which quokka habitats near river");
  }
}
