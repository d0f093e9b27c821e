package dev.zephyr.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.train.recipe.Recipes;
import dev.zephyr.train.recipe.SftConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rows a {@code dataset_mixture} selects. Expected lists were computed with NumPy 2.4.6 following the handbook's
 * {@code get_dataset}: {@code ds.shuffle(seed).select(range(int(len * weight)))} per weighted dataset, then
 * {@code concatenate_datasets(...).shuffle(seed)}.
 */
class MixtureReaderTest {
  @TempDir Path dir;

  private Path jsonl(Path file, String prefix, int rows) throws IOException {
    Files.createDirectories(file.getParent());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < rows; i++) {
      sb.append("{\"id\": \"").append(prefix).append(i).append("\", \"text\": \"row ").append(i)
          .append("\", \"extra\": ").append(i).append("}\n");
    }
    return Files.writeString(file, sb.toString());
  }

  private static List<String> ids(DatasetMixture m, MixtureReader.Options options) {
    return MixtureReader.read(m, (row, file, line) -> row.get("id").asText(), options, Progress.NONE, "ids",
        id -> 0);
  }

  @Test
  void recipeMixtureSelectsTheHandbooksRows() throws IOException {
    Path a = jsonl(dir.resolve("a.jsonl"), "a", 10);
    Path b = jsonl(dir.resolve("b.jsonl"), "b", 4);
    Path yaml = Files.writeString(dir.resolve("sft.yaml"), """
        model_name_or_path: /models/m
        output_dir: /out/sft
        dataset_mixture:
          datasets:
            - id: %s
              weight: 0.5
            - id: %s
          seed: 42
        """.formatted(a, b));
    SftConfig c = Recipes.loadSft(yaml);
    assertThat(c.datasetMixture().seed()).isEqualTo(42);
    assertThat(c.datasetMixture().datasets()).extracting(DatasetSource::weight).containsExactly(0.5, null);
    // a: shuffle(42) keeps rows 5, 6, 0, 7, 3; b whole; the nine rows shuffled with seed 42
    assertThat(ids(c.datasetMixture(), new MixtureReader.Options(1, 1)))
        .containsExactly("a7", "a5", "b2", "a0", "a3", "b1", "a6", "b0", "b3");
    assertThat(ids(c.datasetMixture(), new MixtureReader.Options(3, 7)))
        .containsExactly("a7", "a5", "b2", "a0", "a3", "b1", "a6", "b0", "b3");
  }

  @Test
  void weightsTruncateLikePythonsInt() throws IOException {
    Path a = jsonl(dir.resolve("a.jsonl"), "a", 7);
    Path b = jsonl(dir.resolve("b.jsonl"), "b", 3);
    DatasetMixture m = new DatasetMixture(List.of(new DatasetSource(a.toString(), null, null, null, 0.3),
        new DatasetSource(b.toString(), null, null, null, 1.0)), 0, null, true);
    // int(7 * 0.3) = 2 rows of a (2, 4); b shuffled whole (2, 0, 1); then the five shuffled with seed 0
    assertThat(ids(m, MixtureReader.Options.defaults())).containsExactly("b2", "b1", "b0", "a2", "a4");
  }

  @Test
  void plainFilesAreReadWholeInOrder() throws IOException {
    Path a = jsonl(dir.resolve("a.jsonl"), "a", 3);
    Path b = jsonl(dir.resolve("b.jsonl"), "b", 2);
    assertThat(ids(DatasetMixture.ofFiles(List.of(a, b)), MixtureReader.Options.defaults()))
        .containsExactly("a0", "a1", "a2", "b0", "b1");
  }

  @Test
  void columnsKeepOnlyTheNamedOnes() throws IOException {
    Path a = jsonl(dir.resolve("a.jsonl"), "a", 2);
    DatasetMixture m = new DatasetMixture(
        List.of(new DatasetSource(a.toString(), null, null, List.of("text", "id"), null)), 0, null, false);
    List<String> seen = MixtureReader.read(m, (row, file, line) -> fields(row) + "@" + line,
        MixtureReader.Options.defaults(), Progress.NONE, "t", s -> 0);
    assertThat(seen).containsExactly("[text, id]@1", "[text, id]@2");
  }

  @Test
  void aMissingColumnNamesTheDatasetTheColumnAndTheLine() throws IOException {
    Path a = jsonl(dir.resolve("a.jsonl"), "a", 3);
    DatasetMixture m = new DatasetMixture(
        List.of(new DatasetSource(a.toString(), null, null, List.of("id", "messages"), null)), 0, null, false);
    assertThatThrownBy(() -> ids(m, MixtureReader.Options.defaults())).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(a.toString()).hasMessageContaining("messages").hasMessageContaining("dataset '" + a)
        .hasMessageContaining("[id, text, extra]");
  }

  @Test
  void splitsAndConfigsAreFilesInTheDatasetDirectory() throws IOException {
    Path ds = dir.resolve("ultrachat");
    jsonl(ds.resolve("train_sft.jsonl"), "train", 2);
    jsonl(ds.resolve("test_sft.jsonl"), "test", 1);
    jsonl(ds.resolve("small").resolve("data").resolve("train-00000-of-00002.jsonl"), "s0-", 1);
    jsonl(ds.resolve("small").resolve("data").resolve("train-00001-of-00002.jsonl"), "s1-", 2);
    DatasetMixture m = new DatasetMixture(List.of(new DatasetSource(ds.toString(), null, "train_sft", null, null),
        new DatasetSource(ds.toString(), null, "test_sft", null, null),
        new DatasetSource(ds.toString(), "small", null, null, null)), 0, null, false);
    assertThat(ids(m, MixtureReader.Options.defaults()))
        .containsExactly("train0", "train1", "test0", "s0-0", "s1-0", "s1-1");
    assertThatThrownBy(() -> new DatasetSource(ds.toString(), null, "validation", null, null).files())
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("validation.jsonl")
        .hasMessageContaining(ds.toString());
    assertThatThrownBy(() -> new DatasetSource("HuggingFaceH4/ultrachat_200k", null, "train_sft", null, null).files())
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("HuggingFaceH4/ultrachat_200k")
        .hasMessageContaining("--local-dir");
    Path file = ds.resolve("train_sft.jsonl");
    assertThatThrownBy(() -> new DatasetSource(file.toString(), null, "test", null, null).files())
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'train' split");
  }

  @Test
  void recipeErrorsNameTheField(@TempDir Path tmp) throws IOException {
    assertThatThrownBy(() -> parse(tmp, "dataset_mixture: {datasets: [{id: a.jsonl, weight: 1.5}]}"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("dataset_mixture.datasets[0].weight")
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> parse(tmp, "dataset_mixture: {datasets: [{id: a.jsonl, weigth: 0.5}]}"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("dataset_mixture.datasets[0].weigth")
        .hasMessageContaining("weight");
    assertThatThrownBy(() -> parse(tmp, "dataset_mixture: {datasets: [{id: a.jsonl}], seed: -3}"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("dataset_mixture.seed");
    assertThatThrownBy(() -> parse(tmp, "dataset_path: b.jsonl\ndataset_mixture: {datasets: [{id: a.jsonl}]}"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("not both");
    DatasetMixture m = parse(tmp, "dataset_mixture: {datasets: [{id: a.jsonl, columns: [chosen, rejected]}],"
        + " test_split_size: 2000}");
    assertThat(m.testSplitSize()).isEqualTo(2000.0);
    assertThat(m.datasets().get(0).columns()).containsExactly("chosen", "rejected");
    assertThat(m.datasets().get(0).split()).isEqualTo("train");
  }

  private static DatasetMixture parse(Path tmp, String data) throws IOException {
    Path yaml = Files.writeString(tmp.resolve("r.yaml"), "model_name_or_path: /m\noutput_dir: /o\n" + data + "\n");
    return Recipes.loadSft(yaml).datasetMixture();
  }

  private static String fields(JsonNode row) {
    List<String> names = new ArrayList<>();
    row.fieldNames().forEachRemaining(names::add);
    return names.toString();
  }
}
