package dev.zephyr.train.pipeline;

/**
 * Names of the artifacts that flow between pipeline stages. Each is a path on disk in a Hugging Face format, so any
 * stage can be replaced by files the user already has.
 */
public final class Artifacts {
  /** The current student: a Hugging Face model directory (the base model before any stage runs). */
  public static final String MODEL = "model";
  /** Demonstrations for SFT: JSONL with a {@code messages} column (ultrachat_200k layout). */
  public static final String SFT_DATASET = "sft_dataset";
  /** AI-feedback completions from the generator pool: JSONL, one line per prompt and completion. */
  public static final String COMPLETIONS = "completions";
  /** Judge ratings of the completions: JSONL. */
  public static final String RATINGS = "ratings";
  /** Preference pairs in the ultrafeedback_binarized layout ({@code prompt, chosen, rejected, ...}). */
  public static final String PREFERENCES = "preferences";
  /** ALMoST synthetic comparisons: JSONL of ranked response pairs. */
  public static final String COMPARISONS = "comparisons";
  /** A reward model directory (decoder plus scalar head). */
  public static final String REWARD_MODEL = "reward_model";
  /** The directory an evaluation wrote its answers, judgments and reports into. */
  public static final String EVALUATION = "evaluation";

  private Artifacts() {}
}
