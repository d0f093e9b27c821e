package dev.zephyr.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The three testdata fixtures reproduce the PyTorch reference's log-softmax at every position to 1e-4. */
class FixtureParityTest {
  static NDManager manager;
  static int threads;

  @BeforeAll
  static void open() {
    threads = dev.zephyr.core.testing.TorchThreads.useOne();
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
    dev.zephyr.core.testing.TorchThreads.restore(threads);
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-gqa-f32", "qwen2-tied-bf16", "mistral-window8-f32"})
  void logProbsMatchReference(String fixture) throws Exception {
    Path dir = TestData.path("fixtures", fixture);
    JsonNode expected = Json.mapper().readTree(dir.resolve("expected_logprobs.json").toFile());
    try (LlamaModel model = LlamaModel.load(dir, manager)) {
      JsonNode inputs = expected.get("input_ids");
      for (int s = 0; s < inputs.size(); s++) {
        int[] ids = new int[inputs.get(s).size()];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = inputs.get(s).get(i).asInt();
        }
        float[][] rows = LogProbs.rows(model, ids, manager);
        JsonNode want = expected.get("logprobs").get(s);
        assertThat(rows).hasNumberOfRows(want.size());
        double maxDiff = 0;
        for (int t = 0; t < rows.length; t++) {
          assertThat(rows[t]).hasSize(want.get(t).size());
          for (int v = 0; v < rows[t].length; v++) {
            maxDiff = Math.max(maxDiff, Math.abs(rows[t][v] - want.get(t).get(v).asDouble()));
          }
        }
        assertThat(maxDiff).as("%s sequence %d max |diff|", fixture, s).isLessThan(1e-4);
      }
    }
  }
}
