package dev.zephyr.data.instruct;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.data.testing.FunctionChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfInstructGeneratorTest {
  private static final List<SeedTask> SEEDS = SeedTask.load(TestData.path("self_instruct", "seed_tasks.jsonl"));
  private static final String[] VOCAB = ("apple river castle engine planet violin garden winter rocket bridge "
      + "candle desert forest harbor island jungle kettle ladder marble needle ocean pencil quartz saddle tunnel "
      + "umbrella valley wagon yacht zebra anchor basket cactus dragon eagle falcon glacier hammer igloo jacket "
      + "kitten lemon magnet nectar orchid parrot quiver raven spider tiger").split(" ");

  /**
   * A fake teacher: three new six-word instructions drawn from the request seed, plus one near-copy of the first
   * in-context example (must fail ROUGE-L), one blacklisted item and one too-short item.
   */
  static FunctionChatModel teacher() {
    return FunctionChatModel.text("fake-teacher", r -> {
      Random rng = new Random(r.params().seed());
      String prompt = r.messages().get(0).content();
      String firstExample = prompt.split("\n")[1].replaceFirst("^1\\. ", "");
      List<String> items = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        StringBuilder sb = new StringBuilder("Describe");
        for (int w = 0; w < 5; w++) {
          sb.append(' ').append(VOCAB[rng.nextInt(VOCAB.length)]);
        }
        items.add(sb.append('.').toString());
      }
      items.add(firstExample);
      items.add("Draw a picture of a cat sitting.");
      items.add("Say hi");
      StringBuilder out = new StringBuilder();
      for (int k = 0; k < items.size(); k++) {
        out.append(k == 0 ? " " : "\n" + (9 + k) + ". ").append(items.get(k));
      }
      return out.toString();
    });
  }

  private static SelfInstructConfig config(int target) {
    return SelfInstructConfig.defaults(target, 7).withBatchSize(2);
  }

  @Test
  void promptsShowEightNumberedExamplesWithUpToTwoMachineOnes() {
    FunctionChatModel model = teacher();
    SelfInstructGenerator gen = new SelfInstructGenerator(model, config(12), InstructionFilter.selfInstructDefaults());
    Path out = tmp.resolve("machine.jsonl");
    gen.run(SEEDS, out);
    List<String> seedTexts = SEEDS.stream().map(s -> s.instruction().replaceAll("\\s+", " ").strip()).toList();
    ChatRequest first = model.requests.get(0);
    String prompt = first.messages().get(0).content();
    assertThat(prompt).startsWith(SelfInstructConfig.DEFAULT_HEADER).endsWith("\n9.");
    String[] lines = prompt.substring(SelfInstructConfig.DEFAULT_HEADER.length()).split("\n");
    assertThat(lines).hasSize(9);
    for (int i = 0; i < 8; i++) {
      assertThat(lines[i]).startsWith((i + 1) + ". ");
      assertThat(seedTexts).contains(lines[i].substring(lines[i].indexOf(". ") + 2)); // round 0: seeds only
    }
    // a later prompt, once the pool has machine instructions, shows exactly two of them
    List<String> machine = JsonlAppender.readComplete(out, MachineInstruction.class).stream()
        .map(MachineInstruction::instruction).toList();
    String later = model.requests.get(model.requests.size() - 1).messages().get(0).content();
    long fromMachine = later.lines().filter(l -> l.matches("\\d+\\. .*"))
        .map(l -> l.substring(l.indexOf(". ") + 2)).filter(machine::contains).count();
    assertThat(fromMachine).isEqualTo(2);
    assertThat(first.params().temperature()).isEqualTo(0.7);
    assertThat(first.params().topP()).isEqualTo(0.5);
    assertThat(first.params().stop()).containsExactly("\n\n", "\n16", "16.", "16 .");
  }

  @Test
  void keepsOnlyNovelFilteredInstructionsAndRecordsSimilarity() {
    SelfInstructGenerator gen = new SelfInstructGenerator(teacher(), config(12),
        InstructionFilter.selfInstructDefaults());
    Path out = tmp.resolve("machine.jsonl");
    SelfInstructGenerator.Result r = gen.run(SEEDS, out);
    List<MachineInstruction> kept = JsonlAppender.readComplete(out, MachineInstruction.class);
    assertThat(kept).hasSize(12);
    assertThat(r.kept()).isEqualTo(12);
    assertThat(r.tooSimilar()).isPositive(); // the near-copies of seeds
    assertThat(r.filterDrops()).containsKeys("blacklisted_word", "too_short");
    List<String> pool = new ArrayList<>(SEEDS.stream().map(SeedTask::instruction).toList());
    for (MachineInstruction m : kept) {
      assertThat(m.instruction()).startsWith("Describe ");
      double max = pool.stream().mapToDouble(p -> RougeL.fmeasure(p, m.instruction())).max().orElseThrow();
      assertThat(max).isLessThanOrEqualTo(0.7);
      assertThat(m.mostSimilarInstructions()).hasSizeLessThanOrEqualTo(10);
      assertThat(m.mostSimilarInstructions().values().iterator().next()).isCloseTo(max, org.assertj.core.api.Assertions.within(1e-12));
      pool.add(m.instruction());
    }
  }

  @Test
  void dropsWholeResponseCutByLength() {
    FunctionChatModel cut = FunctionChatModel.completion("cut",
        r -> new Completion(" Describe apple river castle engine planet.", FinishReason.LENGTH, 1024));
    SelfInstructConfig c = new SelfInstructConfig("Tasks:", 3, 8, 2, 2, 0.7, 4, 1, SelfInstructConfig.originalSampling());
    SelfInstructGenerator.Result r = new SelfInstructGenerator(cut, c, InstructionFilter.selfInstructDefaults())
        .run(SEEDS, tmp.resolve("m.jsonl"));
    assertThat(r.kept()).isZero();
    assertThat(r.rounds()).isEqualTo(4);
    assertThat(r.responsesCutByLength()).isEqualTo(8);
  }

  @Test
  void resumedRunAfterCrashEqualsUninterruptedRunByteForByte() throws Exception {
    Path whole = tmp.resolve("whole.jsonl");
    new SelfInstructGenerator(teacher(), config(15), InstructionFilter.selfInstructDefaults()).run(SEEDS, whole);

    Path resumed = tmp.resolve("resumed.jsonl");
    FunctionChatModel inner = teacher();
    int[] calls = {0};
    dev.zephyr.core.chat.ChatModel crashing = new dev.zephyr.core.chat.ChatModel() {
      public String name() {
        return "crashing";
      }

      public List<dev.zephyr.core.chat.ChatResponse> complete(List<ChatRequest> reqs) {
        if (++calls[0] >= 3) { // an outage from the third batch on
          throw new dev.zephyr.core.chat.ProviderException("crashing", 500, true, "boom");
        }
        return inner.complete(reqs);
      }
    };
    // the failed batch ends the run: nothing of it is written and the missing instructions are pending
    FailureLog failures = FailureLog.inMemory();
    SelfInstructGenerator.Result crashed = new SelfInstructGenerator(crashing, config(15),
        InstructionFilter.selfInstructDefaults()).failures(failures).run(SEEDS, resumed);
    assertThat(failures.failures()).isEqualTo(config(15).batchSize());
    int afterCrash = Files.readAllLines(resumed).size();
    assertThat(afterCrash).isBetween(1, 14);
    assertThat(crashed.counts()).isEqualTo(new WorkCounts("self-instruct instructions", afterCrash, 0,
        15 - afterCrash));
    assertThat(crashed.counts().complete()).isFalse();
    // a kill mid-write leaves a torn line of the next batch: it is cut off, and that batch redone
    String line = Files.readAllLines(whole).get(afterCrash);
    Files.writeString(resumed, line.substring(0, 20), java.nio.file.StandardOpenOption.APPEND);

    SelfInstructGenerator.Result r = new SelfInstructGenerator(teacher(), config(15),
        InstructionFilter.selfInstructDefaults()).run(SEEDS, resumed);
    assertThat(r.resumed()).isPositive().isLessThanOrEqualTo(afterCrash); // the batch before the tear may be redone
    assertThat(Files.readAllBytes(resumed)).isEqualTo(Files.readAllBytes(whole));
    assertThat(Files.readAllLines(whole)).hasSize(15);
    assertThat(r.counts()).isEqualTo(new WorkCounts("self-instruct instructions", 15, 0, 0));
  }

  @Test
  void tornBatchIsDroppedWhole() throws Exception {
    Path whole = tmp.resolve("whole.jsonl");
    new SelfInstructGenerator(teacher(), config(9), InstructionFilter.selfInstructDefaults()).run(SEEDS, whole);
    List<String> lines = Files.readAllLines(whole);
    // keep round 0 whole plus the first line of round 1 and half of its second line
    List<MachineInstruction> ms = JsonlAppender.readComplete(whole, MachineInstruction.class);
    int firstOfRound1 = (int) ms.stream().filter(m -> m.requestIdx() == 0).count();
    Path partial = tmp.resolve("partial.jsonl");
    Files.writeString(partial, String.join("\n", lines.subList(0, firstOfRound1 + 1)) + "\n"
        + lines.get(firstOfRound1 + 1).substring(0, 10));
    new SelfInstructGenerator(teacher(), config(9), InstructionFilter.selfInstructDefaults()).run(SEEDS, partial);
    assertThat(Files.readAllBytes(partial)).isEqualTo(Files.readAllBytes(whole));
  }

  @TempDir Path tmp;
}
