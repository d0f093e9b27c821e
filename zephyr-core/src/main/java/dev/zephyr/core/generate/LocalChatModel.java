package dev.zephyr.core.generate;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.TokenLogprob;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@link ChatModel} over a local {@link LlamaModel}: conversations become prompt ids through a {@link PromptFormatter}
 * (a tokenizer's chat template), all requests of a call are generated as one batch, and ids become text through a
 * {@link Detokenizer}. Until a tokenizer is plugged in, {@link PromptFormatter#tokenIdsInLastMessage()} and
 * {@link Detokenizer#tokenIds()} accept pre-tokenized prompts.
 */
public final class LocalChatModel implements ChatModel {
  private final String name;
  private final LlamaModel model;
  private final PromptFormatter formatter;
  private final Detokenizer detokenizer;
  private final Generator generator;
  private final boolean ownsModel;
  private NDManager ownedManager;
  private Tokenizer ownedTokenizer;

  /**
   * @param ownsModel close the model (and its native memory) in {@link #close()}
   */
  public LocalChatModel(String name, LlamaModel model, PromptFormatter formatter, Detokenizer detokenizer,
      NDManager manager, boolean ownsModel) {
    this.name = Objects.requireNonNull(name, "name");
    this.model = Objects.requireNonNull(model, "model");
    this.formatter = Objects.requireNonNull(formatter, "formatter");
    this.detokenizer = Objects.requireNonNull(detokenizer, "detokenizer");
    this.generator = new Generator(model, detokenizer, manager);
    this.ownsModel = ownsModel;
  }

  /**
   * Loads a Hugging Face model directory into its own native memory, released by {@link #close()}. With a tokenizer:
   * {@code LocalChatModel.load(dir, chat::formatPrompt, chat::decodeText)}. A PEFT adapter directory is applied to
   * the base its {@code adapter_config.json} names ({@link AdaptedModel.Source#of}).
   */
  public static LocalChatModel load(Path dir, PromptFormatter formatter, Detokenizer detokenizer) {
    return load(AdaptedModel.Source.of(dir, null), formatter, detokenizer);
  }

  /** As {@link #load(Path, PromptFormatter, Detokenizer)}, held as {@code options} say (device, 16-bit weights). */
  public static LocalChatModel load(Path dir, PromptFormatter formatter, Detokenizer detokenizer,
      LocalModel.Options options) {
    return load(AdaptedModel.Source.of(dir, null), formatter, detokenizer, options);
  }

  /**
   * Loads a base model with, when {@code source} has one, its PEFT LoRA adapter applied without merging
   * ({@code LocalChatModel.load(new AdaptedModel.Source(baseDir, adapterDir), ...)}), into its own native memory,
   * released by {@link #close()}. Named after the adapter directory when there is one.
   *
   * @throws dev.zephyr.core.InvalidInputException if the adapter directory has no {@code adapter_config.json}
   * @throws dev.zephyr.core.CheckpointException if the adapter disagrees with the base, naming the tensor
   */
  public static LocalChatModel load(AdaptedModel.Source source, PromptFormatter formatter, Detokenizer detokenizer) {
    return load(source, formatter, detokenizer, LocalModel.Options.defaults());
  }

  /**
   * As {@link #load(AdaptedModel.Source, PromptFormatter, Detokenizer)}, held as {@code options} say (the same
   * choices as {@link LocalModel#open(Path, Path, Path, LocalModel.Options)}): the device of the weights, and whether a
   * BF16/F16 checkpoint's weight matrices stay at 2 bytes ({@code keep16Bit}) instead of being widened to float32.
   */
  public static LocalChatModel load(AdaptedModel.Source source, PromptFormatter formatter, Detokenizer detokenizer,
      LocalModel.Options options) {
    Objects.requireNonNull(options, "options");
    NDManager manager = options.device() == null ? NDManager.newBaseManager()
        : NDManager.newBaseManager(options.device());
    try {
      // the base and the adapter live in sub-managers of this manager, which close() releases
      LlamaModel model = AdaptedModel.load(source, manager, options.keep16Bit()).model();
      LocalChatModel chat = new LocalChatModel(
          String.valueOf(source.namingDir().toAbsolutePath().normalize().getFileName()), model, formatter,
          detokenizer, manager, true);
      chat.ownedManager = manager;
      return chat;
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * Loads a Hugging Face model directory that carries its tokenizer files: prompts are formatted with the tokenizer's
   * chat template and completions decoded without special tokens. Model, tokenizer and native memory are released by
   * {@link #close()}. A tokenizer without a chat template is an error ({@link dev.zephyr.core.TemplateException}); use
   * {@link #load(Path, PromptFormatter, Detokenizer)} with an explicit template instead. A PEFT adapter directory
   * works too, applied to its base ({@link AdaptedModel.Source#of}).
   */
  public static LocalChatModel fromDirectory(Path dir) {
    return fromDirectory(AdaptedModel.Source.of(dir, null));
  }

  /**
   * Like {@link #fromDirectory(Path)} for a base model with, when {@code source} has one, its adapter applied; the
   * tokenizer comes from {@link AdaptedModel.Source#tokenizerDir()}.
   */
  public static LocalChatModel fromDirectory(AdaptedModel.Source source) {
    return fromDirectory(source, LocalModel.Options.defaults());
  }

  /**
   * As {@link #fromDirectory(AdaptedModel.Source)}, held as {@code options} say: on its device, and with
   * {@code keep16Bit} a BF16/F16 checkpoint's weight matrices kept at 2 bytes.
   */
  public static LocalChatModel fromDirectory(AdaptedModel.Source source, LocalModel.Options options) {
    Tokenizer tokenizer = Tokenizer.load(source.tokenizerDir());
    try {
      ChatTokenizer chat = ChatTokenizer.of(tokenizer);
      LocalChatModel model = load(source, chat::formatPrompt, tokenizer::decodeText, options);
      model.ownedTokenizer = tokenizer;
      return model;
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /** The underlying model (for log-prob scoring next to generation). */
  public LlamaModel model() {
    return model;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<ChatResponse> complete(List<ChatRequest> requests) {
    List<GenerationRequest> gen = new ArrayList<>();
    for (ChatRequest r : requests) {
      gen.add(new GenerationRequest(formatter.format(r.messages()), r.params()));
    }
    List<GenerationResult> results = generator.generate(gen);
    List<ChatResponse> out = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      GenerationResult res = results.get(i);
      boolean wantLogprobs = requests.get(i).params().logprobs();
      List<Completion> choices = new ArrayList<>();
      for (GeneratedSequence s : res.choices()) {
        choices.add(new Completion(s.text(), s.finishReason(), s.length(),
            wantLogprobs ? tokenLogprobs(s) : List.of()));
      }
      out.add(new ChatResponse(name, choices, res.promptTokens()));
    }
    return out;
  }

  private List<TokenLogprob> tokenLogprobs(GeneratedSequence s) {
    List<TokenLogprob> list = new ArrayList<>();
    for (int t = 0; t < s.length(); t++) {
      List<TokenLogprob.TopLogprob> top = new ArrayList<>();
      if (t < s.topLogprobs().size()) {
        GeneratedSequence.Alternatives alt = s.topLogprobs().get(t);
        for (int k = 0; k < alt.ids().length; k++) {
          top.add(new TokenLogprob.TopLogprob(detokenizer.decode(new int[] {alt.ids()[k]}), alt.logprobs()[k]));
        }
      }
      list.add(new TokenLogprob(detokenizer.decode(new int[] {s.tokenIds()[t]}), s.logprobs()[t], top));
    }
    return list;
  }

  @Override
  public void close() {
    if (ownsModel) {
      model.close();
    }
    if (ownedManager != null) {
      ownedManager.close();
    }
    if (ownedTokenizer != null) {
      ownedTokenizer.close();
    }
  }
}
