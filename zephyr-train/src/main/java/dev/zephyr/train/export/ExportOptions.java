package dev.zephyr.train.export;

import java.util.Objects;

/**
 * How {@link HandbookExport} lays out the launch.
 *
 * @param numProcesses {@code accelerate launch --num_processes}: GPUs over all machines (the handbook's recipes
 *     assume 8)
 * @param numMachines {@code accelerate launch --num_machines}: nodes; above 1, {@code launch.sh} reads the node's
 *     rank and the main node's address from {@code MACHINE_RANK} and {@code MAIN_PROCESS_IP}
 * @param allowPartial leave out a training stage that the handbook's scripts cannot express, listing it in
 *     {@code EXPORT_NOTES.md}, instead of failing
 * @param chatTemplate the chat template to write into every stage's config; null takes the student's own
 *     ({@code tokenizer_config.json} or {@code chat_template.jinja})
 */
public record ExportOptions(int numProcesses, int numMachines, boolean allowPartial, String chatTemplate) {
  public ExportOptions {
    if (numProcesses < 1) {
      throw new IllegalArgumentException("num_processes must be at least 1, found " + numProcesses);
    }
    if (numMachines < 1 || numMachines > numProcesses) {
      throw new IllegalArgumentException("num_machines must be between 1 and num_processes (" + numProcesses
          + "), found " + numMachines);
    }
    if (numProcesses % numMachines != 0) {
      throw new IllegalArgumentException("num_processes (" + numProcesses + ") must be a multiple of num_machines ("
          + numMachines + "): accelerate starts the same number of processes on every machine");
    }
  }

  /** One node of 8 GPUs, strict, the student's own template. */
  public static ExportOptions defaults() {
    return new ExportOptions(8, 1, false, null);
  }

  public ExportOptions withProcesses(int processes, int machines) {
    return new ExportOptions(processes, machines, allowPartial, chatTemplate);
  }

  public ExportOptions withAllowPartial(boolean allow) {
    return new ExportOptions(numProcesses, numMachines, allow, chatTemplate);
  }

  public ExportOptions withChatTemplate(String template) {
    return new ExportOptions(numProcesses, numMachines, allowPartial, Objects.requireNonNull(template, "template"));
  }
}
