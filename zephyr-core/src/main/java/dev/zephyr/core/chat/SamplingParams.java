package dev.zephyr.core.chat;

import java.util.List;

/**
 * How to sample a continuation. Names follow OpenAI's chat-completions parameters where one exists
 * ({@code temperature}, {@code top_p}, {@code presence_penalty}, {@code frequency_penalty}, {@code max_tokens}, {@code n},
 * {@code seed}, {@code stop}, {@code logprobs}, {@code top_logprobs}) and Hugging Face's generation config otherwise
 * ({@code top_k}, {@code repetition_penalty}).
 *
 * @param temperature 0 means greedy decoding
 * @param topP nucleus sampling mass; 1 disables it
 * @param topK keep the k most likely tokens; 0 disables it
 * @param repetitionPenalty CTRL-style penalty over prompt and generated tokens (HF and vLLM semantics: a positive
 *     logit is divided by it, a negative one multiplied); 1 disables it
 * @param presencePenalty OpenAI {@code presence_penalty} in [-2, 2]: subtracted once from the logit of every token
 *     generated so far; 0 disables it
 * @param frequencyPenalty OpenAI {@code frequency_penalty} in [-2, 2]: subtracted from a token's logit once per time
 *     it was generated so far; 0 disables it
 * @param maxTokens maximum number of new tokens
 * @param n number of choices to return
 * @param seed per-request seed for reproducible sampling; null lets the implementation choose
 * @param stop stop strings (not included in the output)
 * @param stopTokenIds extra token ids that end generation (EOS always does for local models)
 * @param logprobs return per-token log-probabilities of the chosen tokens
 * @param topLogprobs number of alternatives per position when {@code logprobs} is set
 */
public record SamplingParams(
    double temperature,
    double topP,
    int topK,
    double repetitionPenalty,
    double presencePenalty,
    double frequencyPenalty,
    int maxTokens,
    int n,
    Long seed,
    List<String> stop,
    List<Integer> stopTokenIds,
    boolean logprobs,
    int topLogprobs) {

  public SamplingParams {
    stop = stop == null ? List.of() : List.copyOf(stop);
    stopTokenIds = stopTokenIds == null ? List.of() : List.copyOf(stopTokenIds);
    if (temperature < 0) {
      throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    }
    if (topP <= 0 || topP > 1) {
      throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
    }
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw new IllegalArgumentException("repetition_penalty must be a finite number > 0, got " + repetitionPenalty);
    }
    if (!(presencePenalty >= -2 && presencePenalty <= 2)) {
      throw new IllegalArgumentException("presence_penalty must be in [-2, 2], got " + presencePenalty);
    }
    if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) {
      throw new IllegalArgumentException("frequency_penalty must be in [-2, 2], got " + frequencyPenalty);
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
    }
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    if (topLogprobs < 0 || topLogprobs > 20) {
      throw new IllegalArgumentException("top_logprobs must be in [0, 20], got " + topLogprobs);
    }
  }

  /** Temperature 1, no truncation, 256 new tokens, one choice. */
  public static SamplingParams defaults() {
    return builder().build();
  }

  /** Greedy decoding with the given budget. */
  public static SamplingParams greedy(int maxTokens) {
    return builder().temperature(0).maxTokens(maxTokens).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder initialised from these parameters. */
  public Builder toBuilder() {
    return new Builder()
        .temperature(temperature)
        .topP(topP)
        .topK(topK)
        .repetitionPenalty(repetitionPenalty)
        .presencePenalty(presencePenalty)
        .frequencyPenalty(frequencyPenalty)
        .maxTokens(maxTokens)
        .n(n)
        .seed(seed)
        .stop(stop)
        .stopTokenIds(stopTokenIds)
        .logprobs(logprobs)
        .topLogprobs(topLogprobs);
  }

  /** True when decoding is greedy. */
  public boolean isGreedy() {
    return temperature == 0;
  }

  /** True when any of the repetition, presence or frequency penalties is not at its neutral value. */
  public boolean hasPenalties() {
    return repetitionPenalty != 1.0 || presencePenalty != 0 || frequencyPenalty != 0;
  }

  /** Builder; validation happens in {@link #build()}. */
  public static final class Builder {
    private double temperature = 1.0;
    private double topP = 1.0;
    private int topK = 0;
    private double repetitionPenalty = 1.0;
    private double presencePenalty;
    private double frequencyPenalty;
    private int maxTokens = 256;
    private int n = 1;
    private Long seed;
    private List<String> stop = List.of();
    private List<Integer> stopTokenIds = List.of();
    private boolean logprobs;
    private int topLogprobs;

    public Builder temperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    public Builder topP(double topP) {
      this.topP = topP;
      return this;
    }

    public Builder topK(int topK) {
      this.topK = topK;
      return this;
    }

    public Builder repetitionPenalty(double repetitionPenalty) {
      this.repetitionPenalty = repetitionPenalty;
      return this;
    }

    public Builder presencePenalty(double presencePenalty) {
      this.presencePenalty = presencePenalty;
      return this;
    }

    public Builder frequencyPenalty(double frequencyPenalty) {
      this.frequencyPenalty = frequencyPenalty;
      return this;
    }

    public Builder maxTokens(int maxTokens) {
      this.maxTokens = maxTokens;
      return this;
    }

    public Builder n(int n) {
      this.n = n;
      return this;
    }

    public Builder seed(Long seed) {
      this.seed = seed;
      return this;
    }

    public Builder stop(List<String> stop) {
      this.stop = stop;
      return this;
    }

    public Builder stopTokenIds(List<Integer> stopTokenIds) {
      this.stopTokenIds = stopTokenIds;
      return this;
    }

    public Builder logprobs(boolean logprobs) {
      this.logprobs = logprobs;
      return this;
    }

    public Builder topLogprobs(int topLogprobs) {
      this.topLogprobs = topLogprobs;
      return this;
    }

    public SamplingParams build() {
      return new SamplingParams(temperature, topP, topK, repetitionPenalty, presencePenalty, frequencyPenalty,
          maxTokens, n, seed, stop, stopTokenIds, logprobs, topLogprobs);
    }
  }
}
