package dev.zephyr.core.tokenizer;

import dev.zephyr.core.TemplateException;
import dev.zephyr.core.chat.Message;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Formats conversations with a chat template and tokenizes them for training, loudly: assistant masks for SFT,
 * prompt/completion splitting for preference data, and checks against the classic silent bugs (double BOS, missing EOS,
 * prompt and completion tokens merging at the boundary).
 *
 * <p>Assistant masks come from the template's {@code {% generation %}} blocks when it has them; otherwise from
 * render-prefix differencing: for each assistant message, the conversation up to it rendered with a generation prompt
 * must be a prefix of the conversation including it, and the difference is that message's text (content plus the
 * template's end-of-turn text). A template for which that does not hold is refused with a {@link TemplateException}.
 *
 * <p>Thread-safe.
 */
public final class ChatTokenizer {
  private static final Logger LOG = LoggerFactory.getLogger(ChatTokenizer.class);
  /** Tokens shown before the first difference in a boundary-mismatch message. */
  private static final int CONTEXT_TOKENS = 8;

  /** What to do when a check fails. */
  public enum Policy {
    /** Throw a {@link TokenizationException}. */
    ERROR,
    /** Log a warning and go on (TRL's behaviour). */
    WARN
  }

  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final Policy boundaryPolicy;
  private final Policy doubleBosPolicy;
  private final boolean appendEos;
  private final java.util.concurrent.atomic.AtomicBoolean eosWarned = new java.util.concurrent.atomic.AtomicBoolean();

  private ChatTokenizer(Tokenizer tokenizer, ChatTemplate template, Policy boundaryPolicy, Policy doubleBosPolicy,
      boolean appendEos) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.template = Objects.requireNonNull(template, "template");
    this.boundaryPolicy = boundaryPolicy;
    this.doubleBosPolicy = doubleBosPolicy;
    this.appendEos = appendEos;
  }

  /** With the tokenizer's own template (special tokens bound); every check an error; EOS appended when missing. */
  public static ChatTokenizer of(Tokenizer tokenizer) {
    return of(tokenizer, ChatTemplate.forTokenizer(tokenizer.config()));
  }

  /** With a given template; its special tokens are bound from the tokenizer's config. */
  public static ChatTokenizer of(Tokenizer tokenizer, ChatTemplate template) {
    return new ChatTokenizer(tokenizer, template.withSpecialTokens(tokenizer.config()), Policy.ERROR, Policy.ERROR,
        true);
  }

  /** A copy with another template (special tokens bound from the tokenizer's config). */
  public ChatTokenizer withTemplate(ChatTemplate other) {
    return new ChatTokenizer(tokenizer, other.withSpecialTokens(tokenizer.config()), boundaryPolicy, doubleBosPolicy,
        appendEos);
  }

  /** A copy whose template renders under other limits (time, output, depth, argument sizes; {@link TemplateLimits}). */
  public ChatTokenizer withTemplateLimits(TemplateLimits limits) {
    return new ChatTokenizer(tokenizer, template.withLimits(limits), boundaryPolicy, doubleBosPolicy, appendEos);
  }

  /** A copy with another policy for prompt ids that are not a prefix of the joint ids. */
  public ChatTokenizer withBoundaryPolicy(Policy policy) {
    return new ChatTokenizer(tokenizer, template, policy, doubleBosPolicy, appendEos);
  }

  /** A copy with another policy for a sequence that starts with BOS twice. */
  public ChatTokenizer withDoubleBosPolicy(Policy policy) {
    return new ChatTokenizer(tokenizer, template, boundaryPolicy, policy, appendEos);
  }

  /** A copy that does or does not append EOS to completions that lack it. */
  public ChatTokenizer withAppendEos(boolean append) {
    return new ChatTokenizer(tokenizer, template, boundaryPolicy, doubleBosPolicy, append);
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  public ChatTemplate template() {
    return template;
  }

  /**
   * Prompt ids for generation: the conversation rendered with the generation prompt and encoded without adding special
   * tokens (the template writes BOS), checked for a doubled BOS. Shaped as {@code dev.zephyr.core.generate
   * .PromptFormatter}, so {@code chat::formatPrompt} plugs into {@code LocalChatModel}.
   */
  public int[] formatPrompt(List<Message> messages) {
    int[] ids = tokenizer.encode(template.render(messages, true), false);
    checkDoubleBos(ids, "prompt");
    return ids;
  }

  /** Renders core messages with the template. */
  public String render(List<Message> messages, boolean addGenerationPrompt) {
    return template.render(messages, addGenerationPrompt);
  }

  /** Renders, tokenizes without adding special tokens, and computes the assistant and completion masks. */
  public TokenizedChat applyChatTemplate(List<Message> messages, boolean addGenerationPrompt) {
    return applyChatTemplateMaps(ChatTemplate.toMaps(messages), addGenerationPrompt, Map.of());
  }

  /** As {@link #applyChatTemplate} for messages given as maps, with extra template variables. */
  public TokenizedChat applyChatTemplateMaps(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
      Map<String, ?> extra) {
    Spans spans = renderWithSpans(messages, addGenerationPrompt, extra);
    return toTokenized(spans, tokenizer.encodeWithOffsets(spans.text(), false));
  }

  /**
   * {@link #applyChatTemplate} for many conversations, tokenized in one native batch call (use this in data
   * preparation).
   */
  public List<TokenizedChat> applyChatTemplateBatch(List<List<Message>> conversations, boolean addGenerationPrompt) {
    List<Spans> rendered = new ArrayList<>(conversations.size());
    List<String> texts = new ArrayList<>(conversations.size());
    for (List<Message> c : conversations) {
      Spans s = renderWithSpans(ChatTemplate.toMaps(c), addGenerationPrompt, Map.of());
      rendered.add(s);
      texts.add(s.text());
    }
    List<Tokenizer.Encoded> encoded = tokenizer.encodeBatchWithOffsets(texts, false);
    List<TokenizedChat> out = new ArrayList<>(conversations.size());
    for (int i = 0; i < rendered.size(); i++) {
      out.add(toTokenized(rendered.get(i), encoded.get(i)));
    }
    return out;
  }

  private record Spans(String text, List<int[]> assistant) {}

  private Spans renderWithSpans(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
      Map<String, ?> extra) {
    ChatTemplate.Rendered full = template.renderWithGenerationSpans(messages, addGenerationPrompt, extra);
    List<int[]> spans = template.hasGenerationBlocks()
        ? full.generationSpans()
        : assistantSpansByDifferencing(messages, full.text(), extra);
    return new Spans(full.text(), spans);
  }

  private TokenizedChat toTokenized(Spans rendered, Tokenizer.Encoded enc) {
    List<int[]> spans = rendered.assistant();
    checkDoubleBos(enc.ids(), "rendered chat");
    int[] assistant = new int[enc.ids().length];
    int[] completion = new int[enc.ids().length];
    for (int[] span : spans) {
      markOverlapping(enc, span[0], span[1], assistant);
    }
    if (!spans.isEmpty()) {
      markOverlapping(enc, spans.get(spans.size() - 1)[0], rendered.text().length(), completion);
      checkMask(enc.ids(), assistant);
    }
    return new TokenizedChat(rendered.text(), enc.ids(), assistant, completion);
  }

  /**
   * Tokenizes a conversational preference pair half the way TRL's DPOTrainer does: the prompt rendered with a
   * generation prompt, prompt+completion rendered jointly, and the joint ids split after the prompt's length.
   *
   * @throws TokenizationException when the prompt ids are not a prefix of the joint ids (boundary policy ERROR)
   */
  public PromptCompletion splitPromptCompletion(List<Message> prompt, List<Message> completion) {
    List<Message> joint = new ArrayList<>(prompt);
    joint.addAll(completion);
    String promptText = template.render(prompt, true);
    String jointText = template.render(joint, false);
    return split(tokenizer.encode(promptText, false), tokenizer.encode(jointText, false));
  }

  /**
   * The same for plain-text prompt and completion ({@code {"prompt": "...", "chosen": "..."}}): the prompt and the
   * concatenation are encoded with or without the tokenizer's special tokens, then split.
   */
  public PromptCompletion splitPromptCompletionText(String prompt, String completion, boolean addSpecialTokens) {
    List<int[]> ids = tokenizer.encodeBatch(List.of(prompt, prompt + completion), addSpecialTokens);
    return split(ids.get(0), ids.get(1));
  }

  /** Encodes text for training and applies the double-BOS check. */
  public int[] encodeText(String text, boolean addSpecialTokens) {
    int[] ids = tokenizer.encode(text, addSpecialTokens);
    checkDoubleBos(ids, "text");
    return ids;
  }

  /**
   * Fails (or warns, by policy) when {@code ids} starts with two BOS ids: the text already had the template's
   * {@code bos_token} and the tokenizer added another.
   */
  public void checkDoubleBos(int[] ids, String what) {
    OptionalInt bos = tokenizer.bosTokenId();
    if (bos.isPresent() && ids.length >= 2 && ids[0] == bos.getAsInt() && ids[1] == bos.getAsInt()) {
      report(doubleBosPolicy, what + " starts with BOS twice (" + tokenizer.config().bosToken()
          + "): the text already contains bos_token, so encode it with addSpecialTokens=false; ids "
          + preview(ids, 8));
    }
  }

  private PromptCompletion split(int[] promptIds, int[] jointIds) {
    checkDoubleBos(jointIds, "prompt+completion");
    int n = promptIds.length;
    boolean prefix = n <= jointIds.length && Arrays.equals(promptIds, 0, n, jointIds, 0, n);
    if (!prefix) {
      int first = Arrays.mismatch(promptIds, jointIds);
      int from = Math.max(0, first - CONTEXT_TOKENS);
      report(boundaryPolicy, "prompt ids are not a prefix of the prompt+completion ids (tokens merged across the "
          + "boundary; first difference at token " + first + "):\n  prompt: " + describe(promptIds, from)
          + "\n  joint:  " + describe(jointIds, from));
      n = Math.min(n, jointIds.length);
    }
    int[] completion = Arrays.copyOfRange(jointIds, n, jointIds.length);
    boolean appended = false;
    OptionalInt eos = tokenizer.eosTokenId();
    if (appendEos && eos.isPresent() && !endsWithEos(completion, eos.getAsInt())) {
      completion = Arrays.copyOf(completion, completion.length + 1);
      completion[completion.length - 1] = eos.getAsInt();
      appended = true;
    }
    return new PromptCompletion(Arrays.copyOf(jointIds, n), completion, appended);
  }

  /**
   * As TRL: a conversation with assistant turns but no assistant token cannot train anything (error); a mask without
   * the EOS token teaches a model that never stops (warned once per ChatTokenizer).
   */
  private void checkMask(int[] ids, int[] assistant) {
    boolean any = false;
    boolean eosMasked = false;
    OptionalInt eos = tokenizer.eosTokenId();
    for (int i = 0; i < ids.length; i++) {
      if (assistant[i] == 1) {
        any = true;
        eosMasked |= eos.isPresent() && ids[i] == eos.getAsInt();
      }
    }
    if (!any) {
      throw new TokenizationException("the conversation has assistant turns but no assistant token: the template "
          + "renders them as empty text");
    }
    if (!eosMasked && eos.isPresent() && eosWarned.compareAndSet(false, true)) {
      LOG.warn("the assistant mask does not contain the EOS token {} (id {}): a model trained on it may never stop; "
          + "check the chat template's end-of-turn token", tokenizer.config().eosToken(), eos.getAsInt());
    }
  }

  /** True when the last id is EOS, or EOS is followed only by whitespace tokens (Zephyr's "</s>\n"). */
  private boolean endsWithEos(int[] ids, int eos) {
    for (int i = ids.length - 1; i >= 0; i--) {
      if (ids[i] == eos) {
        return true;
      }
      if (!tokenizer.decode(new int[] {ids[i]}, false).isBlank()) {
        return false;
      }
    }
    return false;
  }

  private List<int[]> assistantSpansByDifferencing(List<? extends Map<String, ?>> messages, String full,
      Map<String, ?> extra) {
    List<int[]> spans = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      if (!"assistant".equals(messages.get(i).get("role"))) {
        continue;
      }
      String before = template.renderMaps(messages.subList(0, i), true, extra);
      String upTo = template.renderMaps(messages.subList(0, i + 1), false, extra);
      if (!upTo.startsWith(before) || !full.startsWith(upTo)) {
        throw new TemplateException("cannot derive the assistant mask for message " + i + ": the template's "
            + "rendering of earlier turns changes when later turns are added; use a template with "
            + "{% generation %} blocks");
      }
      spans.add(new int[] {before.length(), upTo.length()});
    }
    return spans;
  }

  /** Sets mask to 1 for tokens whose text overlaps [start, end). */
  private static void markOverlapping(Tokenizer.Encoded enc, int start, int end, int[] mask) {
    for (int t = 0; t < mask.length; t++) {
      int s = enc.starts()[t];
      int e = enc.ends()[t];
      if (s < 0) {
        continue;
      }
      boolean overlaps = s == e ? (s >= start && s < end) : (s < end && e > start);
      if (overlaps) {
        mask[t] = 1;
      }
    }
  }

  private static void report(Policy policy, String message) {
    if (policy == Policy.ERROR) {
      throw new TokenizationException(message);
    }
    LOG.warn(message);
  }

  /** Ids with their token strings from index {@code from} on, at most 2 * CONTEXT_TOKENS of them. */
  private String describe(int[] ids, int from) {
    StringBuilder sb = new StringBuilder(from > 0 ? "[... " : "[");
    int to = Math.min(ids.length, from + 2 * CONTEXT_TOKENS);
    for (int i = from; i < to; i++) {
      if (i > from) {
        sb.append(", ");
      }
      sb.append(ids[i]).append('=').append(tokenizer.idToToken(ids[i]).orElse("?"));
    }
    return sb.append(to < ids.length ? ", ...]" : "]").toString();
  }

  private static String preview(int[] ids, int n) {
    return Arrays.toString(Arrays.copyOf(ids, Math.min(n, ids.length))) + (ids.length > n ? "..." : "");
  }
}
