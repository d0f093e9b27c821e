package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.Json;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A resume continues only the run its checkpoint belongs to: same result-shaping hyper-parameters, or a flag. */
class ResumeConfigTest {
  static final int D = 16;
  static final int V = 5;
  static final List<ToyTask.Example> DATA = ToyTask.data(24, D, V, 4);

  private static TrainingArguments.Builder args(Path dir) {
    return TrainingArguments.builder(dir).learningRate(5e-7).lrSchedulerType(SchedulerType.LINEAR)
        .perDeviceTrainBatchSize(4).maxSteps(6).saveSteps(3).loggingSteps(1).disableTqdm(true).seed(5);
  }

  /** Trains with {@code a} and the task keys; returns the trainer's result. */
  private static Trainer.TrainResult train(TrainingArguments a, Map<String, ?> taskKeys) {
    try (NDManager m = NDManager.newBaseManager();
        Trainer<ToyTask.Example, ToyTask.Batch> t = new Trainer<>(a, new ToyTask(D, V), DATA,
            ToyTask.init(m, D, 32, V, 1))) {
      return t.taskConfig(taskKeys).train();
    }
  }

  /** A run stopped after step 3: its newest checkpoint is checkpoint-3. */
  private static Path interruptedRun(Path dir, Map<String, ?> taskKeys) throws Exception {
    train(args(dir).build(), taskKeys);
    CheckpointStore.deleteTree(dir.resolve("checkpoint-6"));
    return dir.resolve("checkpoint-3");
  }

  @Test
  void eachCheckpointStoresTheResultShapingConfigAndItsDigest(@TempDir Path dir) throws Exception {
    Path ckpt = interruptedRun(dir, Map.of("beta", 0.1, "loss_type", List.of("sigmoid")));
    JsonNode stored = Json.mapper().readTree(ckpt.resolve("training_config.json").toFile());
    assertThat(stored.get("digest").asText()).matches("sha256:[0-9a-f]{64}");
    JsonNode config = stored.get("config");
    assertThat(config.get("learning_rate").asDouble()).isEqualTo(5e-7);
    assertThat(config.get("beta").asDouble()).isEqualTo(0.1);
    assertThat(config.get("loss_type").get(0).asText()).isEqualTo("sigmoid");
    assertThat(config.has("max_steps")).isTrue();
    // bookkeeping is left out, and so are keys that the run does not use (epochs when max_steps is set)
    assertThat(config.has("logging_steps") || config.has("save_steps") || config.has("save_total_limit")
        || config.has("gradient_checkpointing") || config.has("num_train_epochs")).isFalse();
    assertThat(CheckpointStore.readConfig(ckpt).orElseThrow().digest()).isEqualTo(stored.get("digest").asText());
  }

  @Test
  void aChangedLearningRateIsRefusedNamingTheKeyBothValuesAndTheCheckpoint(@TempDir Path dir) throws Exception {
    Path ckpt = interruptedRun(dir, Map.of());
    assertThatThrownBy(() -> train(args(dir).learningRate(1e-6).build(), Map.of()))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(ckpt.toString())
        .hasMessageContaining("learning_rate: checkpoint 5e-07, now 1e-06")
        .hasMessageContaining("--allow-config-change")
        .hasMessageContaining("allow_config_change: true");
    assertThat(dir.resolve("checkpoint-6")).as("nothing was trained").doesNotExist();
  }

  @Test
  void everyDifferingKeyIsNamedTaskKeysIncluded(@TempDir Path dir) throws Exception {
    interruptedRun(dir, Map.of("beta", 0.1, "max_length", 1024));
    assertThatThrownBy(() -> train(args(dir).adamBeta2(0.99).lrSchedulerType(SchedulerType.COSINE).build(),
        Map.of("beta", 0.01, "max_length", 1024, "label_smoothing", 0.1)))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("adam_beta2: checkpoint 0.999, now 0.99")
        .hasMessageContaining("beta: checkpoint 0.1, now 0.01")
        .hasMessageContaining("label_smoothing: checkpoint (not set), now 0.1")
        .hasMessageContaining("lr_scheduler_type: checkpoint linear, now cosine")
        .message().doesNotContain("max_length");
  }

  @Test
  void withAllowConfigChangeTheRunContinuesWithTheNewValuesAfterOneWarning(@TempDir Path dir) throws Exception {
    interruptedRun(dir, Map.of());
    List<ILoggingEvent> log = captured(() -> {
      Trainer.TrainResult r = train(args(dir).learningRate(1e-6).allowConfigChange(true).build(), Map.of());
      assertThat(r.resumedFrom()).isEqualTo(3);
      assertThat(r.globalStep()).isEqualTo(6);
    });
    List<String> warnings = log.stream().filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0)).contains("allow_config_change").contains("learning_rate: checkpoint 5e-07, now 1e-06");
    // the checkpoints written after the resume store the values they were trained with
    assertThat(CheckpointStore.readConfig(dir.resolve("checkpoint-6")).orElseThrow().values()
        .get("learning_rate").asDouble()).isEqualTo(1e-6);
  }

  @Test
  void bookkeepingKeysMayChangeFreely(@TempDir Path dir) throws Exception {
    interruptedRun(dir, Map.of());
    List<ILoggingEvent> log = captured(() -> train(args(dir).loggingSteps(2).saveSteps(1).saveTotalLimit(1)
        .gradientCheckpointing(true).numTrainEpochs(9).build(), Map.of()));
    assertThat(log).noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN));
    assertThat(dir.resolve("checkpoint-6")).exists();
  }

  @Test
  void seedAndRunLengthAreRefusedEvenWithTheFlag(@TempDir Path dir) throws Exception {
    interruptedRun(dir, Map.of());
    assertThatThrownBy(() -> train(args(dir).seed(6).allowConfigChange(true).build(), Map.of()))
        .isInstanceOf(CheckpointException.class).hasMessageContaining("seed: checkpoint 5, now 6")
        .hasMessageContaining("even with allow_config_change");
    assertThatThrownBy(() -> train(args(dir).maxSteps(8).allowConfigChange(true).build(), Map.of()))
        .isInstanceOf(CheckpointException.class).hasMessageContaining("total steps: checkpoint 6, now 8");
  }

  @Test
  void aCheckpointFromBeforeStoredConfigsResumesWithOneInfoLine(@TempDir Path dir) throws Exception {
    Path ckpt = interruptedRun(dir, Map.of());
    Files.delete(ckpt.resolve("training_config.json"));
    List<ILoggingEvent> log = captured(() -> {
      Trainer.TrainResult r = train(args(dir).learningRate(1e-6).build(), Map.of());
      assertThat(r.resumedFrom()).isEqualTo(3);
    });
    assertThat(log).filteredOn(e -> e.getFormattedMessage().contains("stores no training config")).hasSize(1)
        .allMatch(e -> e.getLevel() == Level.INFO);
    assertThat(log).noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN));
  }

  @Test
  void valuesPrintAsRecipesWriteThem() {
    assertThat(CheckpointConfig.pythonFloat(5e-7)).isEqualTo("5e-07");
    assertThat(CheckpointConfig.pythonFloat(2e-5)).isEqualTo("2e-05");
    assertThat(CheckpointConfig.pythonFloat(1.5e-4)).isEqualTo("0.00015");
    assertThat(CheckpointConfig.pythonFloat(0.1)).isEqualTo("0.1");
    assertThat(CheckpointConfig.pythonFloat(3)).isEqualTo("3.0");
    assertThat(CheckpointConfig.pythonFloat(1e20)).isEqualTo("1e+20");
    assertThat(CheckpointConfig.pythonFloat(-2.5e-9)).isEqualTo("-2.5e-09");
  }

  private static List<ILoggingEvent> captured(Runnable body) {
    Logger logger = (Logger) LoggerFactory.getLogger(Trainer.class);
    Level old = logger.getLevel();
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    logger.setLevel(Level.INFO);
    try {
      body.run();
    } finally {
      logger.detachAppender(events);
      logger.setLevel(old);
    }
    return events.list;
  }
}
