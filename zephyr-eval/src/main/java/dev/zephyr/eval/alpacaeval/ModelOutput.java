package dev.zephyr.eval.alpacaeval;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One entry of alpaca_eval's {@code model_outputs.json} (a JSON list of these): the instruction, the model's output and
 * the model's name ({@code generator}); {@code dataset} names the eval subset and may be absent.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"dataset", "instruction", "output", "generator"})
public record ModelOutput(String dataset, String instruction, String output, String generator) {}
