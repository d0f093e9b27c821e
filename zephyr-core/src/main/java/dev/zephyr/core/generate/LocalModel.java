package dev.zephyr.core.generate;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A local Hugging Face model directory opened for evaluation: the decoder's weights, its tokenizer and the native
 * memory they live in, all released by {@link #close()}. {@link #open} is the one place a model under test is read
 * from disk, for chat ({@link #chatModel}) and for log-likelihood scoring alike, so a new directory layout (a PEFT
 * adapter over its base, say) is taught here once.
 */
public final class LocalModel implements AutoCloseable {
  private final NDManager manager;
  private final LlamaModel model;
  private final Tokenizer tokenizer;

  private LocalModel(NDManager manager, LlamaModel model, Tokenizer tokenizer) {
    this.manager = manager;
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /** Opens {@code modelDir} with the tokenizer files it carries. */
  public static LocalModel open(Path modelDir) {
    return open(modelDir, null);
  }

  /**
   * Opens {@code modelDir} (a model directory, or a PEFT adapter directory standing for its base with itself
   * applied); the tokenizer comes from {@code tokenizerDir}, or from the model directory when null.
   *
   * @throws dev.zephyr.core.InvalidInputException if the directory is not a supported model (it names the file)
   */
  public static LocalModel open(Path modelDir, Path tokenizerDir) {
    return open(modelDir, null, tokenizerDir);
  }

  /**
   * Opens {@code modelDir} with the PEFT adapter in {@code adapterDir} applied unmerged (none when null; see
   * {@link AdaptedModel.Source#of}). The tokenizer comes from {@code tokenizerDir}, else the adapter directory when it
   * holds one (TRL saves it there), else the base.
   *
   * @throws dev.zephyr.core.InvalidInputException if a directory is not a supported model or adapter (it names the file)
   * @throws dev.zephyr.core.CheckpointException if the adapter disagrees with the base, naming the tensor
   */
  public static LocalModel open(Path modelDir, Path adapterDir, Path tokenizerDir) {
    return open(modelDir, adapterDir, tokenizerDir, Options.defaults());
  }

  /** As {@link #open(Path, Path, Path)}, the weights on {@code device} (DJL's default device when null). */
  public static LocalModel open(Path modelDir, Path adapterDir, Path tokenizerDir, Device device) {
    return open(modelDir, adapterDir, tokenizerDir, new Options(device, false));
  }

  /**
   * How a model under test is held in memory.
   *
   * @param device where the weights live (DJL's default device when null)
   * @param keep16Bit keep a BF16/F16 checkpoint's weight matrices at 2 bytes, widening each layer's to float32 while
   *     it runs: about half the memory and the same numbers; scoring pays little for it, token-by-token generation
   *     widens every weight once per token and is several times slower. An F32 checkpoint loads as float32 either way.
   */
  public record Options(Device device, boolean keep16Bit) {
    /** DJL's default device, weights widened to float32 on load. */
    public static Options defaults() {
      return new Options(null, false);
    }
  }

  /** As {@link #open(Path, Path, Path)}, held as {@code options} say. */
  public static LocalModel open(Path modelDir, Path adapterDir, Path tokenizerDir, Options options) {
    Objects.requireNonNull(modelDir, "modelDir");
    Objects.requireNonNull(options, "options");
    Device device = options.device();
    AdaptedModel.Source source = AdaptedModel.Source.of(modelDir, adapterDir);
    NDManager manager = device == null ? NDManager.newBaseManager() : NDManager.newBaseManager(device);
    LlamaModel model = null;
    try {
      model = AdaptedModel.load(source, manager, options.keep16Bit()).model();
      Tokenizer tokenizer = Tokenizer.load(tokenizerDir != null ? tokenizerDir : source.tokenizerDir());
      return new LocalModel(manager, model, tokenizer);
    } catch (RuntimeException e) {
      if (model != null) {
        model.close();
      }
      manager.close();
      throw e;
    }
  }

  public LlamaModel model() {
    return model;
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The manager the weights live in; per-call arrays go into sub-managers of it. */
  public NDManager manager() {
    return manager;
  }

  /**
   * A chat model named {@code name} over this decoder, prompts rendered with the tokenizer's chat template and
   * completions decoded without special tokens. It shares this model's memory: close this, not the chat model.
   */
  public ChatModel chatModel(String name) {
    ChatTokenizer chat = ChatTokenizer.of(tokenizer);
    return new LocalChatModel(name, model, messages -> chat.applyChatTemplate(messages, true).inputIds(),
        ids -> tokenizer.decode(ids, true), manager, false);
  }

  @Override
  public void close() {
    tokenizer.close();
    model.close();
    manager.close();
  }
}
