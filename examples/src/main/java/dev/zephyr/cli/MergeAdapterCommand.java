package dev.zephyr.cli;

import dev.zephyr.core.model.lora.LoraMerge;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zephyr merge-adapter --model BASE --adapter DIR --out DIR}: folds a LoRA adapter (PEFT files) into its base
 * and writes the result as a Hugging Face model directory in the base's dtype, as PEFT's {@code merge_and_unload}
 * followed by {@code save_pretrained} would.
 */
@Command(name = "merge-adapter", mixinStandardHelpOptions = true,
    description = "Merge a LoRA adapter (adapter_config.json + adapter_model.safetensors) into its base model and"
        + " write a Hugging Face model directory (W + scaling·B·A, stored in the base's dtype).")
public final class MergeAdapterCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base Hugging Face model directory")
  Path model;
  @Option(names = "--adapter", required = true, paramLabel = "DIR",
      description = "Adapter directory as PEFT saves it (adapter_config.json, adapter_model.safetensors)")
  Path adapter;
  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Where the merged model is written (replaced as a whole)")
  Path output;

  @Override
  public Integer call() {
    LoraMerge.mergeToDirectory(model, adapter, output);
    System.out.println("merged model written to " + output);
    return 0;
  }
}
