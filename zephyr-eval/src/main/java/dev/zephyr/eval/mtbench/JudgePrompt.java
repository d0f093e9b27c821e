package dev.zephyr.eval.mtbench;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One line of FastChat's {@code judge_prompts.jsonl}: a named judge prompt with its system prompt, its user prompt
 * template (Python {@code str.format} placeholders) and the verdict format it asks for ({@code [[rating]]},
 * {@code [[A]]} or {@code [[rating_a,rating_b]]}).
 */
public record JudgePrompt(
    String name,
    String type,
    @JsonProperty("system_prompt") String systemPrompt,
    @JsonProperty("prompt_template") String promptTemplate,
    String description,
    String category,
    @JsonProperty("output_format") String outputFormat) {}
