package dev.zephyr.train.export;

import java.util.ArrayList;
import java.util.List;

/** {@code EXPORT_NOTES.md}: what was exported, what has no equivalent, what stays in zephyr, what is missing. */
final class Notes {
  private final String name;
  private final ExportOptions options;
  private final List<String> stages = new ArrayList<>();
  private final List<String> inZephyr = new ArrayList<>();
  private final List<String> leftOut = new ArrayList<>();
  private final List<String> pending = new ArrayList<>();
  private String template = "";

  Notes(String name, ExportOptions options) {
    this.name = name;
    this.options = options;
  }

  void template(String where) {
    template = where;
  }

  void exported(String id, String script, String config, List<String> mapping) {
    StringBuilder sb = new StringBuilder("### " + id + " (`scripts/" + script + "`, `" + config + "`)\n\n");
    mapping.forEach(n -> sb.append("- ").append(n).append('\n'));
    stages.add(sb.toString());
  }

  void inZephyr(String id, String what) {
    inZephyr.add("- " + id + ": " + what);
  }

  void leftOut(String id, String why) {
    leftOut.add("- " + id + ": " + why + " Train it in zephyr (`zephyr pipeline` runs it into its stage directory);"
        + " exported stages after it start from that stage's `model/`.");
  }

  void pending(String id, String file, String why) {
    pending.add("- " + id + ": `" + file + "` is not written: " + why + ".");
  }

  String text() {
    StringBuilder sb = new StringBuilder();
    sb.append("# Export of ").append(name).append(" for the alignment-handbook\n\n");
    sb.append("Written by `zephyr export-recipe`. Each exported stage is one `accelerate launch` of the handbook's"
        + " `scripts/sft.py` or `scripts/dpo.py` with DeepSpeed ZeRO-3 and bf16 (`accelerate/deepspeed_zero3.yaml`,"
        + " ").append(options.numMachines()).append(" machine(s), ").append(options.numProcesses())
        .append(" processes). The keys are those of the handbook's scripts with TRL 0.19.x, the line its"
            + " `setup.py` floor (`trl>=0.19.1`) and its own zephyr-7b-beta recipes run on.\n\n");
    sb.append("Run `./launch.sh` (all stages) or `./launch.sh STAGE` with `HANDBOOK` pointing at a clone of"
        + " huggingface/alignment-handbook. Each stage writes its model to `out/STAGE/` and a `SHA256SUMS` beside"
        + " it. Bring the directory back and continue in zephyr with an `external` stage (recipe: `- external:"
        + " {model: out/STAGE, sha256sums: out/STAGE/SHA256SUMS}`), which checks it and hands it to the next stage.\n\n");
    sb.append("Chat template: ").append(template).append(".\n\n");
    sb.append("## Exported stages\n\n");
    stages.forEach(s -> sb.append(s).append('\n'));
    if (!inZephyr.isEmpty()) {
      sb.append("## Stages that stay in zephyr\n\n");
      inZephyr.forEach(s -> sb.append(s).append('\n'));
      sb.append('\n');
    }
    if (!leftOut.isEmpty()) {
      sb.append("## Stages left out (--allow-partial)\n\n");
      leftOut.forEach(s -> sb.append(s).append('\n'));
      sb.append('\n');
    }
    if (!pending.isEmpty()) {
      sb.append("## Datasets still to provide\n\n");
      pending.forEach(s -> sb.append(s).append('\n'));
      sb.append("\n`launch.sh` refuses to start a stage whose files are missing. Any JSONL file with the columns"
          + " below works: SFT rows `{\"messages\": [{\"role\", \"content\"}, ...]}`; DPO rows"
          + " `{\"prompt\": [turns], \"chosen\": [turns], \"rejected\": [turns]}`.\n\n");
    }
    sb.append("## Keys with no equivalent on the handbook side\n\n");
    sb.append("- `run_dir`, `allow_config_change`, `pairs_per_forward`: zephyr's own; they say where checkpoints go"
        + " and how to resume or slice a batch, not what is trained. The handbook writes checkpoints into"
        + " `output_dir` and resumes from the newest one there.\n");
    sb.append("\n## Keys the export adds with no zephyr equivalent\n\n");
    sb.append("- `bf16: true` and the accelerate config's `mixed_precision: bf16`, DeepSpeed ZeRO-3 sharding.\n");
    sb.append("- `save_strategy`: written from `save_steps` (zephyr saves every `save_steps` steps, or never at 0).\n");
    return sb.toString();
  }
}
