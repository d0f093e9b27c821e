package dev.zephyr.train.data;

import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.sft.SftData;
import java.nio.file.Path;

/** Child JVM of {@link StreamingTokenizeTest}: tokenises a JSONL file (args: tokenizer dir, file) and prints a summary. */
public final class StreamTokenizeMain {
  private StreamTokenizeMain() {}

  public static void main(String[] args) {
    try (Tokenizer tokenizer = Tokenizer.load(Path.of(args[0]))) {
      SftData.Prepared p = SftData.prepare(Path.of(args[1]), ChatTokenizer.of(tokenizer),
          new SftData.Options(64, LossMode.ALL, false));
      System.out.println("examples=" + p.examples() + " first=" + StreamingTokenizeTest.ids(p.rows().get(0))
          + " last=" + StreamingTokenizeTest.ids(p.rows().get(p.rows().size() - 1)));
    }
  }
}
