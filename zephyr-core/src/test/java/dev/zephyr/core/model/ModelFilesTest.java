package dev.zephyr.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.testing.FileModes;
import dev.zephyr.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving a whole Hugging Face model directory, atomically. */
class ModelFilesTest {
  @TempDir Path tmp;
  private NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    manager.close();
  }

  private Map<String, NDArray> weights() {
    Map<String, NDArray> w = new LinkedHashMap<>();
    w.put("model.embed_tokens.weight", manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(3, 2)));
    w.put("model.norm.weight", manager.create(new float[] {1, 1}));
    return w;
  }

  private static Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("model_type", "llama");
    c.put("vocab_size", 3);
    c.put("hidden_size", 2);
    return c;
  }

  private List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void writesConfigsWeightsAndTokenizerFiles() throws IOException {
    Path target = tmp.resolve("model");
    Path tokenizer = TestData.path("tokenizers", "zephyr");
    Map<String, Object> generation = Map.of("bos_token_id", 1, "eos_token_id", 2);
    ModelFiles.saveDirectory(target, config(), generation, weights(), tokenizer);

    List<String> expectedFiles = new java.util.ArrayList<>(List.of("config.json", "generation_config.json",
        "model.safetensors"));
    for (String f : ModelFiles.TOKENIZER_FILES) {
      if (Files.isRegularFile(tokenizer.resolve(f))) {
        expectedFiles.add(f);
      }
    }
    assertThat(listing(target)).containsExactlyInAnyOrderElementsOf(expectedFiles);
    assertThat(listing(target)).contains("tokenizer.json", "tokenizer_config.json");
    assertThat(Files.mismatch(target.resolve("tokenizer.json"), tokenizer.resolve("tokenizer.json"))).isEqualTo(-1);
    JsonNode config = Json.mapper().readTree(target.resolve("config.json").toFile());
    assertThat(config.get("model_type").asText()).isEqualTo("llama");
    assertThat(config.get("hidden_size").asInt()).isEqualTo(2);
    assertThat(Json.mapper().readTree(target.resolve("generation_config.json").toFile()).get("eos_token_id").asInt())
        .isEqualTo(2);
    Map<String, NDArray> back = Safetensors.load(target, manager);
    assertThat(back.get("model.embed_tokens.weight").toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(listing(tmp)).containsExactly("model"); // no staging leftovers
    if (target.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertThat(Files.getPosixFilePermissions(target.resolve("model.safetensors")))
          .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
    }
  }

  @Test
  void replacesAnExistingDirectoryWholesaleAndCanShard() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("model"));
    Files.writeString(target.resolve("stale.txt"), "old");
    Files.writeString(target.resolve("config.json"), "{\"old\":true}");
    ModelFiles.saveDirectory(target, ModelFiles.Contents.of(Json.mapper().valueToTree(config()), null, weights(), null)
        .withDtype(Dtype.BF16).withMaxShardBytes(10));
    assertThat(listing(target)).containsExactly("config.json", "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors", "model.safetensors.index.json");
    assertThat(Json.mapper().readTree(target.resolve("config.json").toFile()).has("old")).isFalse();
    assertThat(Safetensors.load(target, manager).get("model.norm.weight").toFloatArray()).containsExactly(1, 1);
    assertThat(listing(tmp)).containsExactly("model");
  }

  @Test
  void savingOverTheTokenizerSourceDirectoryKeepsTheTokenizer() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("model"));
    Files.writeString(target.resolve("tokenizer.json"), "{\"version\":\"1.0\"}");
    ModelFiles.saveDirectory(target, config(), null, weights(), target);
    assertThat(Files.readString(target.resolve("tokenizer.json"))).isEqualTo("{\"version\":\"1.0\"}");
  }

  @Test
  void aFailingWriterLeavesTheOldDirectoryIntact() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("model"));
    Files.writeString(target.resolve("config.json"), "{\"model_type\":\"llama\"}");
    Files.write(target.resolve("model.safetensors"), new byte[] {1, 2, 3});
    Map<String, NDArray> broken = weights();
    broken.get("model.norm.weight").close(); // writing this tensor fails half-way through the save

    assertThatThrownBy(() -> ModelFiles.saveDirectory(target, config(), null, broken, null))
        .isInstanceOf(RuntimeException.class);

    assertThat(listing(target)).containsExactly("config.json", "model.safetensors");
    assertThat(Files.readString(target.resolve("config.json"))).isEqualTo("{\"model_type\":\"llama\"}");
    assertThat(Files.readAllBytes(target.resolve("model.safetensors"))).containsExactly(1, 2, 3);
    assertThat(listing(tmp)).containsExactly("model"); // the staging directory was removed
  }

  @Test
  void refusesAConfigThatIsNotAnObjectAndATargetThatIsAFile() throws IOException {
    Path target = tmp.resolve("model");
    assertThatThrownBy(() -> ModelFiles.saveDirectory(target, List.of(1, 2), null, weights(), null))
        .hasMessageContaining("JSON object");
    assertThat(Files.exists(target)).isFalse();
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertThatThrownBy(() -> ModelFiles.saveDirectory(file, config(), null, weights(), null))
        .hasMessageContaining("not a directory");
  }

  @Test
  void savedFilesAreReadableByOthersEvenFromAnOwnerOnlyTokenizerSource() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(FileModes.posix(tmp));
    Path source = Files.createDirectories(tmp.resolve("private-tokenizer"));
    for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
      Files.writeString(source.resolve(f), "{}");
      Files.setPosixFilePermissions(source.resolve(f), PosixFilePermissions.fromString("rw-------"));
    }
    Path target = tmp.resolve("out/model");
    ModelFiles.saveDirectory(target, config(), Map.of("eos_token_id", 2), weights(), source);

    assertThat(listing(target)).containsExactlyInAnyOrder("config.json", "generation_config.json",
        "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");
    assertThat(listing(target)).allMatch(ModelFiles::isModelFile);
    FileModes.assertOrdinaryBelow(tmp.resolve("out"));
    assertThat(FileModes.mode(target.resolve("tokenizer.json"))).isNotEqualTo("rw-------");
  }

  @Test
  void isModelFileKnowsWeightsConfigsAndTokenizerFilesOnly() {
    assertThat(List.of("config.json", "generation_config.json", "model.safetensors",
        "model-00001-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json", "tokenizer.model",
        "chat_template.jinja")).allMatch(ModelFiles::isModelFile);
    assertThat(List.of("checkpoint-10", "metrics.jsonl", "ref_cache", "trainer_state.json", "README.md"))
        .noneMatch(ModelFiles::isModelFile);
  }
}
