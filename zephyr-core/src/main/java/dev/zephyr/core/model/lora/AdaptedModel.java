package dev.zephyr.core.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.HalfPrecisionWeights;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.FloatFormats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A base model with an optional PEFT LoRA adapter applied without merging, as {@code PeftModel.from_pretrained(base,
 * adapter_dir)} gives it: the model that generation and scoring use. Owns the native memory of both and frees it in
 * {@link #close()}.
 *
 * <p>{@link #open(Path, NDManager)} also takes an adapter directory alone, as {@code AutoPeftModelForCausalLM} does:
 * its {@code adapter_config.json} names the base in {@code base_model_name_or_path}.
 */
public final class AdaptedModel implements AutoCloseable {
  private final LlamaModel base;
  private final LoraAdapter adapter;

  private AdaptedModel(LlamaModel base, LoraAdapter adapter) {
    this.base = base;
    this.adapter = adapter;
  }

  /**
   * Loads the model directory {@code baseDir} (an adapter directory there is merged into its base, {@link
   * #loadMerged}) and, when {@code adapterDir} is not null, the adapter in it.
   *
   * @throws InvalidInputException if {@code adapterDir} has no {@code adapter_config.json} (the message says so)
   * @throws dev.zephyr.core.CheckpointException if the adapter disagrees with the base, naming the tensor
   */
  public static AdaptedModel load(Path baseDir, Path adapterDir, NDManager parent) {
    return load(baseDir, adapterDir, parent, false);
  }

  /**
   * As {@link #load(Path, Path, NDManager)}; with {@code keep16Bit} the base's BF16/F16 matrices stay at 2 bytes
   * ({@link HalfPrecisionWeights#isMatrix}) and are widened one layer at a time in each forward. Nothing here trains,
   * so the adapter's own arrays (and any {@code modules_to_save} copies) load as float32 over a kept base.
   */
  public static AdaptedModel load(Path baseDir, Path adapterDir, NDManager parent, boolean keep16Bit) {
    // a base that is itself an adapter directory is merged on load (float32, rounded to its precision)
    LlamaModel base = keep16Bit && !isAdapterDirectory(baseDir)
        ? LlamaModel.load(baseDir, parent, HalfPrecisionWeights::isMatrix) : loadMerged(baseDir, parent);
    if (adapterDir == null) {
      return new AdaptedModel(base, null);
    }
    try {
      return new AdaptedModel(base, PeftFiles.load(adapterDir, base.config(), parent));
    } catch (RuntimeException e) {
      base.close();
      throw e;
    }
  }

  /**
   * Where a model comes from: a base model directory and an optional adapter directory.
   *
   * @param base a Hugging Face model directory
   * @param adapter a PEFT adapter directory, or null
   */
  public record Source(Path base, Path adapter) {
    public Source {
      java.util.Objects.requireNonNull(base, "base");
    }

    /**
     * {@code model} with {@code adapter} (may be null); a {@code model} that is itself an adapter directory, given
     * without another adapter, stands for its base ({@link #baseOf}) with itself applied.
     */
    public static Source of(Path model, Path adapter) {
      return adapter == null && isAdapterDirectory(model) ? new Source(baseOf(model), model)
          : new Source(model, adapter);
    }

    /**
     * Where the tokenizer files are: the adapter directory when it has {@code tokenizer.json} (TRL saves them there),
     * else the base's (following a base that is itself an adapter directory).
     */
    public Path tokenizerDir() {
      if (adapter != null && hasTokenizer(adapter)) {
        return adapter;
      }
      Path d = base;
      for (int depth = 0; isAdapterDirectory(d) && !hasTokenizer(d); depth++) {
        requireShortChain(d, depth);
        d = baseOf(d);
      }
      return d;
    }

    private static boolean hasTokenizer(Path dir) {
      return Files.isRegularFile(dir.resolve("tokenizer.json"));
    }

    /** The directory that names this model: the adapter's when there is one. */
    public Path namingDir() {
      return adapter != null ? adapter : base;
    }
  }

  /** Loads {@code source}'s base and, if it has one, its adapter; see {@link #load(Path, Path, NDManager)}. */
  public static AdaptedModel load(Source source, NDManager parent) {
    return load(source, parent, false);
  }

  /** As {@link #load(Source, NDManager)}, the base's 16-bit matrices kept at 2 bytes when {@code keep16Bit}. */
  public static AdaptedModel load(Source source, NDManager parent, boolean keep16Bit) {
    return load(source.base(), source.adapter(), parent, keep16Bit);
  }

  /**
   * Loads {@code dir}: a Hugging Face model directory, or a PEFT adapter directory applied to the base its
   * {@code adapter_config.json} names ({@link #baseOf}).
   */
  public static AdaptedModel open(Path dir, NDManager parent) {
    return load(Source.of(dir, null), parent);
  }

  /** Where the tokenizer of model or adapter directory {@code dir} is; see {@link Source#tokenizerDir()}. */
  public static Path tokenizerDirOf(Path dir) {
    return Source.of(dir, null).tokenizerDir();
  }

  /**
   * Loads {@code dir} as one plain model: a Hugging Face model directory as it is, or a PEFT adapter directory merged
   * into the base its {@code adapter_config.json} names ({@link LoraMerge}: W + scaling·B·A, rounded to the base's
   * stored precision when that is BF16 or F16, as {@code merge_and_unload} on a 16-bit model gives it). This is how
   * the alignment-handbook's DPO starts from an SFT adapter: TRL merges it before adding a new one. A base that is
   * itself an adapter directory is merged first, in turn.
   *
   * @throws InvalidInputException naming {@code base_model_name_or_path} when the base cannot be found
   */
  public static LlamaModel loadMerged(Path dir, NDManager parent) {
    return loadMerged(dir, parent, 0);
  }

  private static final int MAX_ADAPTER_CHAIN = 8;

  private static LlamaModel loadMerged(Path dir, NDManager parent, int depth) {
    if (!isAdapterDirectory(dir)) {
      return LlamaModel.load(dir, parent);
    }
    requireShortChain(dir, depth);
    Path baseDir = baseOf(dir);
    try (LlamaModel base = loadMerged(baseDir, parent, depth + 1);
        LoraAdapter adapter = PeftFiles.load(dir, base.config(), parent)) {
      NDManager m = parent.newSubManager();
      try {
        Map<String, NDArray> merged = LoraMerge.mergedParameters(base, adapter, m);
        Dtype stored = LoraMerge.storedDtype(modelDirOf(baseDir));
        for (Map.Entry<String, NDArray> e : merged.entrySet()) {
          NDArray a = e.getValue();
          if (a.getManager() != m) {
            a.attach(m); // unchanged base weights move over instead of being copied
          } else if (stored != Dtype.F32) {
            e.setValue(roundTo(a, stored, m));
          }
        }
        return new LlamaModel(LoraMerge.mergedConfig(base.config(), adapter.config()), merged, m);
      } catch (RuntimeException e) {
        m.close();
        throw e;
      }
    }
  }

  /** The model directory at the end of a chain of adapter directories starting at {@code dir}. */
  static Path modelDirOf(Path dir) {
    Path d = dir;
    for (int depth = 0; isAdapterDirectory(d); depth++) {
      requireShortChain(d, depth);
      d = baseOf(d);
    }
    return d;
  }

  /** Refuses the adapter directory {@code dir} reached after {@code depth} others: a cycle, most likely. */
  private static void requireShortChain(Path dir, int depth) {
    if (depth >= MAX_ADAPTER_CHAIN) {
      throw InvalidInputException.field(dir.resolve(PeftFiles.CONFIG).toString(), "base_model_name_or_path",
          "leads through more than " + MAX_ADAPTER_CHAIN + " adapter directories (a cycle?)");
    }
  }

  /** {@code a} (float32) rounded to 16-bit {@code dtype} and widened back, as a new array of {@code m}. */
  private static NDArray roundTo(NDArray a, Dtype dtype, NDManager m) {
    float[] v = a.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] = dtype == Dtype.BF16 ? FloatFormats.bf16ToFloat(FloatFormats.floatToBf16(v[i]))
          : FloatFormats.f16ToFloat(FloatFormats.floatToF16(v[i]));
    }
    NDArray r = m.create(v, a.getShape());
    r.setName(a.getName());
    a.close();
    return r;
  }

  /** True when {@code dir} holds a PEFT adapter ({@code adapter_config.json}) and no model of its own. */
  public static boolean isAdapterDirectory(Path dir) {
    return Files.isRegularFile(dir.resolve(PeftFiles.CONFIG)) && !Files.isRegularFile(dir.resolve("config.json"));
  }

  /**
   * The local base model directory of the adapter in {@code adapterDir}: its {@code base_model_name_or_path}, taken
   * as PEFT takes a local path (relative to the working directory), else relative to the adapter directory. It may
   * itself be an adapter directory (an adapter trained over a merged SFT adapter names that one).
   *
   * @throws InvalidInputException naming {@code base_model_name_or_path} when it is unset or names no local model
   *     directory (a Hub id, say)
   */
  public static Path baseOf(Path adapterDir) {
    Path file = adapterDir.resolve(PeftFiles.CONFIG);
    JsonNode j;
    try {
      j = Json.mapper().readTree(Files.readString(file));
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "not valid JSON: " + e.getMessage(), e);
    }
    JsonNode name = j.path("base_model_name_or_path");
    if (!name.isTextual() || name.asText().isBlank()) {
      throw InvalidInputException.field(file.toString(), "base_model_name_or_path", "is not set, so the base model"
          + " is unknown: give it explicitly (--model BASE --adapter " + adapterDir + ")");
    }
    Path named = Path.of(name.asText());
    for (Path candidate : new Path[] {named, adapterDir.resolve(named)}) {
      if (Files.isRegularFile(candidate.resolve("config.json")) || isAdapterDirectory(candidate)) {
        return candidate.normalize();
      }
    }
    throw InvalidInputException.field(file.toString(), "base_model_name_or_path", "'" + name.asText() + "' is not a"
        + " local model directory (no config.json there, nor under " + adapterDir + "); download the base and give it"
        + " explicitly (--model BASE --adapter " + adapterDir + ")");
  }

  /** The model to compute with: the base with the adapter applied, or the base itself without an adapter. */
  public LlamaModel model() {
    return adapter == null ? base : base.withAdapter(adapter);
  }

  /** The base model, adapter off. */
  public LlamaModel base() {
    return base;
  }

  /** The adapter, or null. */
  public LoraAdapter adapter() {
    return adapter;
  }

  @Override
  public void close() {
    if (adapter != null) {
      adapter.close();
    }
    base.close();
  }
}
