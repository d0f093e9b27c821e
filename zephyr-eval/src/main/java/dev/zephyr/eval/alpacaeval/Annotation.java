package dev.zephyr.eval.alpacaeval;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One row of alpaca_eval's {@code annotations.json}: the reference output ({@code output_1}, {@code generator_1}), the
 * model's output ({@code output_2}, {@code generator_2}) and the judge's {@code preference} after undoing the position
 * switch: 1 = reference better, 2 = model better, in between = probability weighted, 1.5 = draw, null = no valid
 * judgment. {@code raw_completion} is the judge's answer as the API returned it, in the order the outputs were shown.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"instruction", "output_1", "generator_1", "dataset", "output_2", "generator_2", "annotator",
    "preference", "price_per_example", "time_per_example", "raw_completion"})
public record Annotation(
    String instruction,
    @JsonProperty("output_1") String output1,
    @JsonProperty("generator_1") String generator1,
    String dataset,
    @JsonProperty("output_2") String output2,
    @JsonProperty("generator_2") String generator2,
    String annotator,
    Double preference,
    @JsonProperty("price_per_example") Double pricePerExample,
    @JsonProperty("time_per_example") Double timePerExample,
    @JsonProperty("raw_completion") JsonNode rawCompletion) {}
