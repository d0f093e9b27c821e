package dev.zephyr.eval.harness;

import com.fasterxml.jackson.databind.JsonNode;

/** Turns one input row of a task's Hugging Face dataset into a {@link HarnessDoc}, failing with file and row. */
@FunctionalInterface
public interface DocFormat {
  HarnessDoc convert(JsonNode row, String source, long line);
}
