package dev.zephyr.data.instruct;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.chat.Message;
import dev.zephyr.data.rows.SftRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * A task with its generated instances ({@code {instruction, is_classification, instances: [{input, output}]}}).
 * An empty instance list means generation produced nothing usable (the task is kept as done so a rerun skips it).
 */
public record TaskInstances(
    @JsonProperty("instruction") String instruction,
    @JsonProperty("is_classification") boolean isClassification,
    @JsonProperty("instances") List<SeedTask.Instance> instances) {

  public TaskInstances {
    instances = instances == null ? List.of() : List.copyOf(instances);
  }

  /**
   * One two-turn demonstration per instance: the user turn is the instruction, followed by a blank line and the
   * input when there is one; the assistant turn is the output.
   */
  public List<SftRecord> toSft() {
    List<SftRecord> out = new ArrayList<>();
    for (SeedTask.Instance inst : instances) {
      String user = inst.input() == null || inst.input().isBlank()
          ? instruction
          : instruction + "\n\n" + inst.input();
      out.add(SftRecord.of(List.of(Message.user(user), Message.assistant(inst.output()))));
    }
    return out;
  }
}
