package dev.zephyr.core.eval;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.progress.Progress;
import java.nio.file.Path;
import java.util.Map;

/**
 * A benchmark that scores a model (MT-Bench, AlpacaEval, a multiple-choice task, the quickstart's held-out prompts...).
 *
 * <p>Declared in core so that the training pipeline can evaluate the models it produces without depending on the
 * evaluation module: zephyr-eval implements it, the pipeline only calls it.
 */
public interface Evaluation {

  /** A short stable name ({@code "mt_bench"}), used in directory names and reports. */
  String name();

  /**
   * The settings that determine the result (judge model, benchmark files, sampling...). Recorded in pipeline
   * manifests; a change makes the pipeline evaluate again. Values must be JSON-serialisable.
   */
  default Map<String, Object> config() {
    return Map.of();
  }

  /**
   * Scores {@code model}. Writes answers, judgments and reports under {@code outputDir}; when that directory already
   * holds part of an earlier run, continues it instead of paying again for finished calls.
   */
  EvalReport evaluate(ChatModel model, Path outputDir);

  /**
   * Scores {@code model} as {@link #evaluate(ChatModel, Path)} does, reporting its long loops (answers, judge calls)
   * to {@code progress}. Evaluations with such loops override this; the default ignores {@code progress}.
   */
  default EvalReport evaluate(ChatModel model, Path outputDir, Progress progress) {
    return evaluate(model, outputDir);
  }

  /**
   * Scores a local model directory; what the pipeline's evaluate stage calls. The default opens the directory as a
   * chat model for {@link #evaluate(ChatModel, Path, Progress)} and closes it afterwards; evaluations that need more
   * than chat (log-likelihoods of a local model) override this and read {@link ModelUnderTest#directory()}.
   */
  default EvalReport evaluateModel(ModelUnderTest model, Path outputDir, Progress progress) {
    try (ChatModel chat = model.openChat()) {
      return evaluate(chat, outputDir, progress);
    }
  }
}
