package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.train.pipeline.DpoStage;
import dev.zephyr.train.pipeline.FeedbackStage;
import dev.zephyr.train.pipeline.ModelLoader;
import dev.zephyr.train.pipeline.SftStage;
import java.nio.file.Path;

/**
 * The pieces of the quickstart that train or run the student: the only part that depends on the decoder, trainers
 * and feedback collection. {@link Quickstart} composes them into the recipe; tests pass simulated ones.
 */
public interface QuickstartStages {

  /** Writes a tiny Llama-family model with seeded random weights and the tokenizer in {@code tokenizerDir}. */
  Path initStudent(Path tokenizerDir, Path outDir, long seed) throws Exception;

  /** Plain-text causal-LM training on {@code pretraining.jsonl} ({@code text} column): makes the base model. */
  SftStage pretraining();

  /** dSFT on the teacher's demonstrations ({@code messages} column). */
  SftStage sft();

  /**
   * AI feedback on the world's AIF prompts: completions from a pool of at least three generators (the base model, the
   * student, i.e. the dSFT model, sampled hot, the noisy teacher and the teacher), rated by the judge, binarised as Zephyr did
   * (chosen = best rating, rejected = a random other completion).
   */
  FeedbackStage feedback(FeedbackSetup setup);

  /** DPO from the current student, reference = the same model frozen. */
  DpoStage dpo();

  /** Opens a model directory as a chat model (the local decoder, with the chat template of its tokenizer). */
  ModelLoader loader();

  /**
   * What the feedback stage works with.
   *
   * @param prompts {@code aif_prompts.jsonl}
   * @param baseModel the pretrained base model directory (a pool member)
   * @param noisyTeacher the noisy rule-based generator (a pool member)
   * @param teacher the rule-based teacher (a pool member: UltraFeedback's pool had its strongest model too)
   * @param judge the rule-based judge
   * @param completionsPerPrompt completions sampled per prompt
   * @param seed seed for sampling and binarisation
   */
  record FeedbackSetup(Path prompts, Path baseModel, ChatModel noisyTeacher, ChatModel teacher, ChatModel judge,
      int completionsPerPrompt, long seed) {}
}
