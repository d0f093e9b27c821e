package dev.zephyr.train.export;

import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.train.data.EvalData;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.loop.IntervalStrategy;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.recipe.DpoConfig;
import dev.zephyr.train.recipe.SftConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One training stage's settings under the keys of the alignment-handbook's {@code scripts/sft.py} and
 * {@code scripts/dpo.py} (TRL's {@code ModelConfig}, the handbook's {@code ScriptArguments} with
 * {@code dataset_mixture}, its {@code SFTConfig} / {@code DPOConfig} with {@code chat_template}, and transformers'
 * {@code TrainingArguments}), as TRL 0.19.x reads them: the line the handbook's {@code setup.py} floor
 * ({@code trl>=0.19.1}) and its own recipes' keys ({@code max_seq_length}, {@code max_prompt_length}) run on.
 * Every value is written explicitly, so TRL's defaults of another version change nothing.
 */
final class HandbookKeys {
  /** DPO losses whose TRL 0.19 formula is the one zephyr trains; the others are refused by name. */
  private static final Set<DpoLossType> SAME_IN_TRL_019 = EnumSet.of(DpoLossType.SIGMOID, DpoLossType.HINGE,
      DpoLossType.IPO, DpoLossType.ROBUST, DpoLossType.SFT, DpoLossType.APO_ZERO, DpoLossType.APO_DOWN,
      DpoLossType.NCA_PAIR, DpoLossType.SPPO_HARD);

  private final String stage;
  private final int processes;
  private final List<String> notes = new ArrayList<>();

  /** @param processes the data-parallel processes the global batch is spread over */
  HandbookKeys(String stage, int processes) {
    this.stage = stage;
    this.processes = processes;
  }

  /** What a reader of EXPORT_NOTES.md should know about this stage's mapping. */
  List<String> notes() {
    return notes;
  }

  /** The data part: where the rows are and how the evaluation rows are cut. */
  record Data(String dir, List<String> columns, EvalData evalData) {}

  Map<String, Object> sft(SftConfig c, long seed, String model, Data data, String template, String outputDir) {
    if (c.lossMode() == LossMode.COMPLETION_ONLY) {
      throw new Inexpressible(stage, "completion_only_loss", "TRL applies it to prompt/completion rows only, and"
          + " the exported rows are conversations (`messages`), on which TRL would train every token");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    model(m, model, c.lora());
    data(m, data, template);
    m.put("sft", new HandbookYaml.Section("SFT trainer arguments (TRL SFTConfig)"));
    m.put("max_length", c.maxLength());
    m.put("packing", c.packing());
    if (c.packing()) {
      notes.add("`packing: true`: TRL packs with its own strategy, so which rows share a sequence (and the number"
          + " of steps) can differ from zephyr's packing.");
    }
    if (c.lossMode() == LossMode.ASSISTANT_ONLY) {
      m.put("assistant_only_loss", true);
      notes.add("`assistant_only_loss: true` needs a TRL whose SFTConfig has the key and a chat template with"
          + " `{% generation %}` markers; the TRL 0.19-line SFTConfig read for this export does not list it.");
    }
    training(m, c.training(), seed, outputDir);
    notes.add("`max_length` is TRL's name since 0.19 (the handbook's own recipe still writes `max_seq_length`,"
        + " an alias TRL removed in 0.20).");
    return m;
  }

  Map<String, Object> dpo(DpoConfig c, long seed, String model, Data data, String template, String outputDir) {
    if (c.refModelNameOrPath() != null) {
      throw new Inexpressible(stage, "ref_model_name_or_path", "the handbook's scripts/dpo.py loads the reference"
          + " from model_name_or_path, the policy's own starting weights");
    }
    for (DpoLossType t : c.loss().lossTypes()) {
      if (!SAME_IN_TRL_019.contains(t)) {
        throw new Inexpressible(stage, "loss_type", "'" + t.trlName() + "' "
            + (t == DpoLossType.BCO_PAIR ? "subtracts a running mean reward in TRL 0.19-0.28, which zephyr's"
                + " (TRL 1.x) form does not" : "is not a loss_type of TRL 0.19-0.28"));
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    model(m, model, c.lora());
    data(m, data, template);
    m.put("dpo", new HandbookYaml.Section("DPO trainer arguments (TRL DPOConfig)"));
    m.put("beta", c.loss().beta());
    List<String> types = c.loss().lossTypes().stream().map(DpoLossType::trlName).toList();
    m.put("loss_type", types.size() == 1 ? types.get(0) : types);
    List<Double> weights = c.loss().lossWeights();
    if (weights != null && (types.size() > 1 || weights.stream().anyMatch(w -> w != 1.0))) {
      m.put("loss_weights", c.loss().lossWeights());
    }
    if (c.loss().labelSmoothing() != 0) {
      m.put("label_smoothing", c.loss().labelSmoothing());
    }
    m.put("max_length", c.maxLength());
    // zephyr truncates prompt + completion to max_length, keeping the start, as TRL >= 0.29 does; TRL 0.19-0.28
    // would also cut prompts to 512 tokens and keep the end unless told otherwise
    m.put("max_prompt_length", null);
    m.put("truncation_mode", "keep_start");
    m.put("precompute_ref_log_probs", false);
    training(m, c.training(), seed, outputDir);
    notes.add("`max_prompt_length: null` and `truncation_mode: keep_start` make TRL 0.19-0.28 truncate as zephyr"
        + " does (prompt + completion cut to `max_length`, start kept); the handbook's own recipe sets"
        + " `max_prompt_length: 512`, which zephyr reads but does not apply (TRL removed the key in 0.29).");
    notes.add("`precompute_ref_log_probs: false`: the reference log-probs are computed on the fly (the same"
        + " values); precomputing them under DeepSpeed ZeRO-3 was broken in TRL until mid-2026 (trl#2985)."
        + (c.precomputeRefLogProbs() ? " The recipe asked for precomputation." : ""));
    if (c.pairsPerForward() > 0) {
      notes.add("`pairs_per_forward: " + c.pairsPerForward() + "` (zephyr's own) has no equivalent; it only slices"
          + " a micro-batch and changes no result.");
    }
    return m;
  }

  private void model(Map<String, Object> m, String model, LoraConfig lora) {
    m.put("model", new HandbookYaml.Section("Model arguments (TRL ModelConfig)"));
    m.put("model_name_or_path", model);
    if (lora == null) {
      return;
    }
    if (lora.loraAlpha() != Math.rint(lora.loraAlpha())) {
      throw new Inexpressible(stage, "lora_alpha", "TRL's ModelConfig.lora_alpha is an integer, found "
          + lora.loraAlpha());
    }
    m.put("use_peft", true);
    m.put("lora_r", lora.r());
    m.put("lora_alpha", (int) lora.loraAlpha());
    m.put("lora_dropout", lora.loraDropout());
    m.put("lora_target_modules", lora.targetModules());
    if (!lora.modulesToSave().isEmpty()) {
      m.put("lora_modules_to_save", lora.modulesToSave());
    }
    m.put("use_rslora", lora.useRslora());
    notes.add("LoRA: the stage's `output_dir` holds a PEFT adapter (adapter_config.json, adapter_model.safetensors),"
        + " not a merged model; zephyr's next stage trains on the merged weights, so merge it"
        + " (`zephyr merge-adapter`, or PEFT's merge_and_unload) before a later stage starts from it.");
  }

  private void data(Map<String, Object> m, Data data, String template) {
    m.put("data", new HandbookYaml.Section("Data arguments (the handbook's ScriptArguments and chat_template)"));
    if (template != null) {
      m.put("chat_template", template);
    }
    EvalData eval = data.evalData();
    if (eval.holdOut() != null && !eval.files().isEmpty()) {
      throw new Inexpressible(stage, "eval_dataset_path", "the handbook's get_dataset takes either a held-out split"
          + " (test_split_size) or the dataset's own test split, not both");
    }
    if (eval.holdOut() == null) {
      // a local directory: datasets reads train.jsonl (and test.jsonl) as the train and test splits
      m.put("dataset_name", data.dir());
      return;
    }
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("id", data.dir());
    source.put("split", "train");
    source.put("columns", data.columns());
    source.put("weight", 1.0);
    Map<String, Object> mixture = new LinkedHashMap<>();
    mixture.put("datasets", List.of(source));
    Number size = eval.holdOut().asKey();
    mixture.put("test_split_size", size instanceof Double d ? d : (Object) size.intValue());
    mixture.put("seed", (int) eval.holdOut().seed());
    m.put("dataset_mixture", mixture);
  }

  private void training(Map<String, Object> m, TrainingArguments t, long seed, String outputDir) {
    m.put("training", new HandbookYaml.Section("Training arguments (transformers TrainingArguments)"));
    m.put("bf16", true);
    m.put("gradient_checkpointing", t.gradientCheckpointing());
    m.put("learning_rate", t.learningRate());
    m.put("lr_scheduler_type", t.lrSchedulerType().hfName());
    if (t.warmupSteps() > 0) {
      m.put("warmup_steps", t.warmupSteps());
    } else {
      m.put("warmup_ratio", t.warmupRatio());
    }
    m.put("num_train_epochs", t.numTrainEpochs());
    m.put("max_steps", t.maxSteps());
    batch(m, t.perDeviceTrainBatchSize(), t.gradientAccumulationSteps());
    m.put("optim", t.optim().hfName());
    m.put("adam_beta1", t.adamBeta1());
    m.put("adam_beta2", t.adamBeta2());
    m.put("adam_epsilon", t.adamEpsilon());
    m.put("weight_decay", t.weightDecay());
    m.put("max_grad_norm", t.maxGradNorm());
    if (t.neftuneNoiseAlpha() > 0) {
      m.put("neftune_noise_alpha", t.neftuneNoiseAlpha());
    }
    m.put("seed", seed);
    m.put("eval_strategy", t.evalStrategy().hfName());
    if (t.evalStrategy() != IntervalStrategy.NO) {
      if (t.evalSteps() > 0) {
        m.put("eval_steps", t.evalSteps() == Math.rint(t.evalSteps()) && t.evalSteps() >= 1
            ? (Object) (long) t.evalSteps() : (Object) t.evalSteps());
      }
      m.put("per_device_eval_batch_size", t.perDeviceEvalBatchSize());
    }
    m.put("logging_steps", t.loggingSteps());
    if (t.saveSteps() > 0) {
      m.put("save_strategy", "steps");
      m.put("save_steps", t.saveSteps());
      if (t.saveTotalLimit() > 0) {
        m.put("save_total_limit", t.saveTotalLimit());
      }
    } else {
      m.put("save_strategy", "no");
    }
    if (t.disableTqdm()) {
      m.put("disable_tqdm", true);
    }
    m.put("output_dir", outputDir);
    notes.add("`bf16: true` (with the accelerate config's `mixed_precision: bf16`) is added by the export, as the"
        + " published Zephyr runs trained; zephyr itself trains in FP32, so losses agree to bf16 precision, not"
        + " bit for bit.");
  }

  /**
   * The same global batch (examples per optimizer step) over {@code processes} data-parallel processes: the
   * accumulation steps divided among them, or, when they do not divide, a smaller per-device batch.
   */
  private void batch(Map<String, Object> m, int perDevice, int accumulation) {
    int global = perDevice * accumulation;
    int perDeviceOut;
    int accumulationOut;
    if (accumulation % processes == 0) {
      perDeviceOut = perDevice;
      accumulationOut = accumulation / processes;
    } else if (global % processes == 0) {
      int perProcess = global / processes;
      perDeviceOut = gcd(perDevice, perProcess);
      accumulationOut = perProcess / perDeviceOut;
    } else {
      throw new Inexpressible(stage, "gradient_accumulation_steps", "the global batch of " + global + " ("
          + perDevice + " x " + accumulation + ") does not split evenly over " + processes + " processes");
    }
    m.put("per_device_train_batch_size", perDeviceOut);
    m.put("gradient_accumulation_steps", accumulationOut);
    notes.add("Global batch " + global + " kept: zephyr's per_device_train_batch_size " + perDevice + " x"
        + " gradient_accumulation_steps " + accumulation + " in one process is " + perDeviceOut + " x "
        + accumulationOut + " x " + processes + " processes here (the rows reach the steps in another order).");
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }
}
