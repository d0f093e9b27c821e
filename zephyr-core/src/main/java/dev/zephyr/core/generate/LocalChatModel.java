package dev.zephyr.core.generate;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.TokenLogprob;
import dev.zephyr.core.model.LlamaModel;
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
  }
}
