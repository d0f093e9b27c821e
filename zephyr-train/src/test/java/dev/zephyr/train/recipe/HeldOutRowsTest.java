package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.data.DatasetMixture;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.data.HoldOut;
import dev.zephyr.train.data.MixtureReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@link TrainingRuns#split} routes the rows a mixture reads: by index in mixture order (for files, the files
 * concatenated), or from evaluation files read whole.
 */
class HeldOutRowsTest {

  private static Path file(Path dir, String name, int from, int to) throws Exception {
    StringBuilder sb = new StringBuilder();
    IntStream.range(from, to).forEach(i -> sb.append("{\"id\": ").append(i).append("}\n"));
    return Files.writeString(dir.resolve(name), sb);
  }

  /** Each row's id and the file and line the mixture read it from, in mixture order (what the runs tokenise). */
  private static List<String> ids(DatasetMixture mixture) {
    return MixtureReader.read(mixture, (row, source, line) -> row.get("id").asInt() + "@"
        + Path.of(source).getFileName() + ":" + line, MixtureReader.Options.defaults(), Progress.NONE, "ids",
        s -> 1);
  }

  /** The runs' split of {@code files} read as {@code dataset_path} does; finishing a side is the identity. */
  private static TrainingRuns.Split<String> split(List<Path> files, EvalData evalData) {
    return TrainingRuns.split(ids(DatasetMixture.ofFiles(files)), "files", evalData, (part, name) -> part,
        f -> ids(DatasetMixture.ofFiles(List.of(f))));
  }

  @Test
  void heldOutRowsAreTheSplitsIndicesOverBothFilesAndDisjointFromTraining(@TempDir Path dir) throws Exception {
    List<Path> files = List.of(file(dir, "a.jsonl", 0, 6), file(dir, "b.jsonl", 6, 10));
    TrainingRuns.Split<String> s = split(files, EvalData.heldOut(new HoldOut(0.25, 42)));
    // default_rng(42).permutation(10)[:3] = [5, 6, 0]: row 6 is the first line of b.jsonl
    assertThat(s.eval()).containsExactly("0@a.jsonl:1", "5@a.jsonl:6", "6@b.jsonl:1");
    assertThat(s.train()).containsExactly("1@a.jsonl:2", "2@a.jsonl:3", "3@a.jsonl:4", "4@a.jsonl:5",
        "7@b.jsonl:2", "8@b.jsonl:3", "9@b.jsonl:4");
    assertThat(split(files, EvalData.heldOut(new HoldOut(0.25, 42))).eval())
        .as("the same seed holds out the same rows").isEqualTo(s.eval());
  }

  @Test
  void evaluationFilesAreReadWholeAndTrainingKeepsEveryRow(@TempDir Path dir) throws Exception {
    List<Path> files = List.of(file(dir, "a.jsonl", 0, 4));
    TrainingRuns.Split<String> s = split(files, EvalData.files(List.of(file(dir, "e.jsonl", 50, 52))));
    assertThat(s.train()).containsExactly("0@a.jsonl:1", "1@a.jsonl:2", "2@a.jsonl:3", "3@a.jsonl:4");
    assertThat(s.eval()).containsExactly("50@e.jsonl:1", "51@e.jsonl:2");
    assertThat(split(files, EvalData.NONE).eval()).isEmpty();
  }

  @Test
  void eachSideIsFinishedOnItsOwnHeldOutFirst() {
    List<Integer> rows = IntStream.range(0, 10).boxed().toList();
    List<String> finished = new ArrayList<>();
    TrainingRuns.Split<Integer> s = TrainingRuns.split(rows, "mix", EvalData.heldOut(new HoldOut(0.25, 42)),
        (part, name) -> {
          finished.add(name);
          return part;
        }, f -> List.of());
    assertThat(s.eval()).containsExactly(0, 5, 6);
    assertThat(s.train()).containsExactly(1, 2, 3, 4, 7, 8, 9);
    assertThat(finished).containsExactly("mix (held out)", "mix");
    TrainingRuns.Split<Integer> none = TrainingRuns.split(rows, "mix", EvalData.NONE, (part, name) -> part,
        f -> List.of(99));
    assertThat(none.train()).isEqualTo(rows);
    assertThat(none.eval()).isEmpty();
  }
}
