package dev.zephyr.examples;

import dev.zephyr.core.chat.Message;
import dev.zephyr.data.clean.CleaningReport;
import dev.zephyr.data.clean.Decontaminator;
import dev.zephyr.data.clean.DsftCleaner;
import dev.zephyr.data.clean.EvalPrompts;
import dev.zephyr.data.clean.MinHashDeduplicator;
import dev.zephyr.data.clean.PersonaAnswerFilter;
import dev.zephyr.data.rows.SftRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Throughput of dSFT cleaning on synthetic conversations (every 20th a near duplicate, every 50th an exact one,
 * one in 100 contaminated with an MT-Bench turn). Prints records per second and the report.
 *
 * <p>Arguments: a data directory holding {@code mt_bench/question.jsonl} and
 * {@code alpaca_eval/reference_outputs_gpt4_1106_preview.json} (default {@code testdata}, the repository's test data,
 * so run it from the repository root), and the number of conversations (default 20000).
 *
 * <pre>java -cp examples/target/zephyr.jar dev.zephyr.examples.DsftCleaningBenchmark testdata 20000</pre>
 */
public final class DsftCleaningBenchmark {
  private DsftCleaningBenchmark() {}

  public static void main(String[] args) {
    Path data = Path.of(args.length > 0 ? args[0] : "testdata");
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    List<EvalPrompts.EvalPrompt> evalPrompts = new ArrayList<>(EvalPrompts.mtBench(
        data.resolve("mt_bench/question.jsonl")));
    evalPrompts.addAll(EvalPrompts.alpacaEval(data.resolve("alpaca_eval/reference_outputs_gpt4_1106_preview.json")));
    Random rng = new Random(1);
    List<SftRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String user;
      String answer;
      if (i % 50 == 49) {
        records.add(records.get(i - 1));
        continue;
      }
      if (i % 20 == 19) {
        SftRecord prev = records.get(i - 1);
        answer = prev.messages().get(1).content().replaceFirst(" ", " really ");
        user = prev.prompt();
      } else {
        user = (i % 100 == 33 ? evalPrompts.get(i % 160).text() + " " : "") + words(rng, 15) + "?";
        answer = words(rng, 150) + ".";
      }
      records.add(SftRecord.of(List.of(Message.user(user), Message.assistant(answer))));
    }
    DsftCleaner cleaner = new DsftCleaner(true, PersonaAnswerFilter.defaults(), true,
        MinHashDeduplicator.defaults(42), new Decontaminator(evalPrompts, 8, 5));
    long t0 = System.nanoTime();
    CleaningReport rep = cleaner.clean(records).report();
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("records=%d seconds=%.2f records_per_second=%.0f%n", n, s, n / s);
    System.out.println(rep.summary());
  }

  private static String words(Random rng, int count) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < count; i++) {
      sb.append(i == 0 ? "" : " ").append("w").append(rng.nextInt(20_000));
    }
    return sb.toString();
  }
}
