package dev.zephyr.train.export;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The accelerate config and {@code launch.sh} of an export. */
final class LaunchFiles {
  /** The accelerate config's path inside the export. */
  static final String ACCELERATE = "accelerate/deepspeed_zero3.yaml";

  private LaunchFiles() {}

  /**
   * DeepSpeed ZeRO-3 with bf16, as the handbook's {@code recipes/accelerate_configs/zero3.yaml} sets it up (no CPU
   * offload, parameters initialised sharded, the final model gathered into 16-bit safetensors).
   */
  static String accelerateConfig(ExportOptions o) {
    Map<String, Object> deepspeed = new LinkedHashMap<>();
    deepspeed.put("deepspeed_multinode_launcher", "standard");
    deepspeed.put("offload_optimizer_device", "none");
    deepspeed.put("offload_param_device", "none");
    deepspeed.put("zero3_init_flag", true);
    deepspeed.put("zero3_save_16bit_model", true);
    deepspeed.put("zero_stage", 3);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("compute_environment", "LOCAL_MACHINE");
    m.put("debug", false);
    m.put("deepspeed_config", deepspeed);
    m.put("distributed_type", "DEEPSPEED");
    m.put("downcast_bf16", "no");
    m.put("machine_rank", 0);
    m.put("main_training_function", "main");
    m.put("mixed_precision", "bf16");
    m.put("num_machines", o.numMachines());
    m.put("num_processes", o.numProcesses());
    m.put("rdzv_backend", "static");
    m.put("same_network", true);
    m.put("tpu_env", List.of());
    m.put("tpu_use_cluster", false);
    m.put("tpu_use_sudo", false);
    m.put("use_cpu", false);
    return HandbookYaml.write(List.of("accelerate config written by zephyr export-recipe: DeepSpeed ZeRO-3, bf16,",
        o.numMachines() + " machine(s), " + o.numProcesses() + " processes in all."), m);
  }

  /** One stage as launch.sh runs it. */
  record Step(String id, String script, String config, String output, List<String> dataFiles) {}

  /**
   * The launch script: checks that the handbook clone and every dataset file are there, then runs each stage's
   * {@code accelerate launch} in order (or only the stages named on its command line), and writes a
   * {@code SHA256SUMS} of each finished model for zephyr's external stage to verify.
   */
  static String launchScript(ExportOptions o, List<Step> steps) {
    List<String> l = new ArrayList<>();
    l.add("#!/usr/bin/env bash");
    l.add("# Written by zephyr export-recipe. Runs the exported training stages with the alignment-handbook's");
    l.add("# scripts on accelerate + DeepSpeed ZeRO-3. Usage: ./launch.sh [STAGE...]   (all stages by default)");
    l.add("#   HANDBOOK  a clone of huggingface/alignment-handbook with its package installed (default ./alignment-handbook)");
    if (o.numMachines() > 1) {
      l.add("#   MACHINE_RANK     this node's rank, 0.." + (o.numMachines() - 1) + " (run the script on every node)");
      l.add("#   MAIN_PROCESS_IP  the address of the rank-0 node");
    }
    l.add("set -euo pipefail");
    l.add("cd \"$(dirname \"$0\")\"");
    l.add("HANDBOOK=\"${HANDBOOK:-alignment-handbook}\"");
    l.add("");
    l.add("run_stage() {");
    l.add("  local id=\"$1\" script=\"$2\" config=\"$3\" output=\"$4\"");
    l.add("  shift 4");
    l.add("  for f in \"$@\"; do");
    l.add("    if [ ! -f \"$f\" ]; then");
    l.add("      echo \"stage $id: dataset file $f is missing (see EXPORT_NOTES.md)\" >&2; exit 1");
    l.add("    fi");
    l.add("  done");
    l.add("  if [ ! -f \"$HANDBOOK/scripts/$script\" ]; then");
    l.add("    echo \"stage $id: $HANDBOOK/scripts/$script not found; set HANDBOOK to an alignment-handbook clone\" >&2; exit 1");
    l.add("  fi");
    StringBuilder launch = new StringBuilder("  accelerate launch --config_file " + ACCELERATE)
        .append(" --num_machines ").append(o.numMachines())
        .append(" --num_processes ").append(o.numProcesses());
    if (o.numMachines() > 1) {
      launch.append(" \\\n    --machine_rank \"${MACHINE_RANK:?set MACHINE_RANK}\"")
          .append(" --main_process_ip \"${MAIN_PROCESS_IP:?set MAIN_PROCESS_IP}\" --main_process_port 29500");
    }
    launch.append(" \\\n    \"$HANDBOOK/scripts/$script\" --config \"$config\"");
    l.add(launch.toString());
    l.add("  if [ \"${MACHINE_RANK:-0}\" = 0 ]; then");
    l.add("    (cd \"$output\" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\\n' | sort | xargs sha256sum > SHA256SUMS)");
    l.add("  fi");
    l.add("}");
    l.add("");
    l.add("stages=(\"$@\")");
    StringBuilder all = new StringBuilder("[ ${#stages[@]} -gt 0 ] || stages=(");
    for (int i = 0; i < steps.size(); i++) {
      all.append(i == 0 ? "" : " ").append(steps.get(i).id());
    }
    l.add(all.append(")").toString());
    l.add("for stage in \"${stages[@]}\"; do");
    l.add("  case \"$stage\" in");
    for (Step s : steps) {
      StringBuilder call = new StringBuilder("    " + s.id() + ") run_stage " + s.id() + " " + s.script() + " "
          + s.config() + " " + s.output());
      s.dataFiles().forEach(f -> call.append(' ').append(f));
      l.add(call.append(" ;;").toString());
    }
    l.add("    *) echo \"unknown stage '$stage' (exported: " + String.join(" ", steps.stream().map(Step::id).toList())
        + ")\" >&2; exit 2 ;;");
    l.add("  esac");
    l.add("done");
    return String.join("\n", l) + "\n";
  }
}
