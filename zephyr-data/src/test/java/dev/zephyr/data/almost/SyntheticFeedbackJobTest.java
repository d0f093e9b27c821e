package dev.zephyr.data.almost;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.data.testing.FunctionChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticFeedbackJobTest {
  @TempDir Path tmp;

  @Test
  void respondsOnceRanksFiltersAndWritesComparisons() throws Exception {
    DemonstrationPrompt hhh = new DemonstrationPrompt(Files.readString(TestData.path("almost", "HHH_prompt.txt")));
    GeneratorConfig big = new GeneratorConfig("13b-HHH-5shot", 13, 5, GeneratorConfig.HHH);
    GeneratorConfig small = new GeneratorConfig("7b-HHH-1shot", 7, 1, GeneratorConfig.HHH);
    // the big model writes a longer answer; for the second prompt the small model is useless (BAD)
    FunctionChatModel bigModel = FunctionChatModel.text("big", r -> " A detailed answer with several clauses, "
        + "which explains the reasoning step by step and ends properly.");
    FunctionChatModel smallModel = FunctionChatModel.text("small", r -> r.messages().get(0).content()
        .endsWith("Human: Second?\n\nAssistant: ") ? "Hmm?" : " A shorter answer that is still long enough to pass the rules.");
    PromptedResponseGenerator gen = new PromptedResponseGenerator(List.of(
        new PromptedResponseGenerator.Generator(big, bigModel, hhh,
            PromptedResponseGenerator.Generator.almostSampling(big, 1)),
        new PromptedResponseGenerator.Generator(small, smallModel, hhh,
            PromptedResponseGenerator.Generator.almostSampling(small, 1))));
    SyntheticFeedbackJob job = new SyntheticFeedbackJob(gen, ConfigRanking.ruleOfThumb(List.of(big, small)), null, 1);
    SyntheticFeedbackJob.Result r = job.run(List.of("First?", "Second?"), tmp);
    assertThat(r.answeredNow()).isEqualTo(2);
    assertThat(r.written()).isEqualTo(1);
    assertThat(r.heuristic().promptsWithoutPairs()).isEqualTo(1);
    var rows = Jsonl.readAll(tmp.resolve("comparisons.jsonl"));
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).get("meta").asText()).isEqualTo("13b-HHH-5shot-vs-7b-HHH-1shot");
    assertThat(rows.get(0).get("prompt").asText()).isEqualTo("First?");

    // rerun with one more prompt: only that prompt is generated; the agreement filter can veto
    int before = bigModel.requests.size();
    RewardScorer prefersShort = convs -> convs.stream()
        .mapToDouble(c -> -c.get(c.size() - 1).content().length()).toArray();
    SyntheticFeedbackJob vetoed = new SyntheticFeedbackJob(gen, ConfigRanking.ruleOfThumb(List.of(big, small)),
        new AgreementFilter(prefersShort, 0, 8), 1);
    SyntheticFeedbackJob.Result r2 = vetoed.run(List.of("First?", "Second?", "Third?"), tmp);
    assertThat(bigModel.requests.size() - before).isEqualTo(1);
    assertThat(r2.answeredNow()).isEqualTo(1);
    assertThat(r2.disagreed()).isEqualTo(2);
    assertThat(r2.written()).isZero();
    assertThat(Jsonl.readAll(tmp.resolve("responses.jsonl"))).hasSize(3);
  }

  @Test
  void aPromptWithAFailedCallIsRetriedAndNoComparisonsAreWrittenUntilEveryPromptIsAnswered() throws Exception {
    DemonstrationPrompt hhh = new DemonstrationPrompt(Files.readString(TestData.path("almost", "HHH_prompt.txt")));
    GeneratorConfig big = new GeneratorConfig("13b-HHH-5shot", 13, 5, GeneratorConfig.HHH);
    GeneratorConfig small = new GeneratorConfig("7b-HHH-1shot", 7, 1, GeneratorConfig.HHH);
    boolean[] down = {true};
    FunctionChatModel bigModel = FunctionChatModel.text("big", r -> {
      if (down[0] && r.messages().get(0).content().endsWith("Human: Second?\n\nAssistant: ")) {
        throw new ProviderException("big", 503, true, "overloaded");
      }
      return " A detailed answer with several clauses, which explains the reasoning step by step and ends properly.";
    });
    FunctionChatModel smallModel = FunctionChatModel.text("small",
        r -> " A shorter answer that is still long enough to pass the rules.");
    PromptedResponseGenerator gen = new PromptedResponseGenerator(List.of(
        new PromptedResponseGenerator.Generator(big, bigModel, hhh,
            PromptedResponseGenerator.Generator.almostSampling(big, 1)),
        new PromptedResponseGenerator.Generator(small, smallModel, hhh,
            PromptedResponseGenerator.Generator.almostSampling(small, 1))));
    SyntheticFeedbackJob job = new SyntheticFeedbackJob(gen, ConfigRanking.ruleOfThumb(List.of(big, small)), null, 2);
    SyntheticFeedbackJob.Result r = job.run(List.of("First?", "Second?"), tmp);
    assertThat(r.counts()).isEqualTo(new WorkCounts("prompts", 1, 1, 0));
    assertThat(Jsonl.readAll(tmp.resolve("responses.jsonl"))).extracting(n -> n.get("prompt").asText())
        .containsExactly("First?");
    assertThat(tmp.resolve("comparisons.jsonl")).doesNotExist();
    assertThat(Files.readString(tmp.resolve("failures.jsonl"))).contains("Second?").contains("overloaded");
    // the small model was not asked about the prompt the big one failed on
    assertThat(smallModel.requests).hasSize(1);

    down[0] = false;
    SyntheticFeedbackJob.Result again = job.run(List.of("First?", "Second?"), tmp);
    assertThat(again.counts()).isEqualTo(new WorkCounts("prompts", 2, 0, 0));
    assertThat(again.answeredNow()).isEqualTo(1);
    assertThat(Jsonl.readAll(tmp.resolve("comparisons.jsonl"))).hasSize(2);
    assertThat(tmp.resolve("failures.jsonl")).doesNotExist();
  }
}
