package dev.zephyr.core.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import dev.zephyr.core.TemplateException;
import dev.zephyr.core.TemplateLimitException;
import dev.zephyr.core.chat.Message;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A Hugging Face chat template rendered the way transformers renders it: Jinja with {@code trim_blocks} and
 * {@code lstrip_blocks}, loop controls, a {@code raise_exception} that fails the render, {@code tojson} with Python's
 * {@code json.dumps(ensure_ascii=False)} output, {@code strftime_now}, and the {@code {% generation %}} block that
 * marks assistant tokens for training masks.
 *
 * <p>Rendering uses Jinjava 2.8.4 with the legacy overrides Jlama uses, which reproduce Python Jinja2 byte for byte on
 * the Zephyr, Llama-3/3.1, DeepSeek-V3, Mistral and Qwen2.5 templates. The Python-only constructs common in chat
 * templates ({@code messages[::-1]}, Python {@code str} methods such as {@code .startswith(...)} or
 * {@code .lstrip('\n')}, {@code namespace(...)} with computed arguments) are rewritten into Python-exact equivalents
 * ({@link PythonCompat}), which makes Qwen3's template render like transformers. Other Python-only constructs are
 * detected when the template is created; rendering such a template throws a {@link TemplateException} naming the
 * construct instead of producing wrong text.
 *
 * <p>Templates come from model directories and are treated as untrusted: every render is bounded in time, output,
 * nesting depth and argument sizes by {@link TemplateLimits} ({@link TemplateLimits#DEFAULTS} unless
 * {@link #withLimits} says otherwise), and, as in transformers' sandbox, there is no loader: {@code include},
 * {@code import}, {@code from} and {@code extends} fail, and no file or classpath resource can be read.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChatTemplate {
  /** The alignment-handbook Zephyr template (recipes/zephyr-7b-beta), as rendered by Zephyr-7B-β's tokenizer. */
  public static final String ZEPHYR_SOURCE = "{% for message in messages %}\n"
      + "{% if message['role'] == 'user' %}\n"
      + "{{ '<|user|>\n' + message['content'] + eos_token }}\n"
      + "{% elif message['role'] == 'system' %}\n"
      + "{{ '<|system|>\n' + message['content'] + eos_token }}\n"
      + "{% elif message['role'] == 'assistant' %}\n"
      + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
      + "{% endif %}\n"
      + "{% if loop.last and add_generation_prompt %}\n"
      + "{{ '<|assistant|>' }}\n"
      + "{% endif %}\n"
      + "{% endfor %}";

  /** ChatML: {@code <|im_start|>role\ncontent<|im_end|>\n} per message, for tokenizers that have no template. */
  public static final String CHATML_SOURCE = "{% for message in messages %}"
      + "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
      + "{% endfor %}"
      + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

  static final char GENERATION_START = '\uE000';
  static final char GENERATION_END = '\uE001';
  private static final String TRACK_VARIABLE = "__zephyr_track_generation";
  private static final Pattern GENERATION_TAG = Pattern.compile("\\{%-?\\s*generation\\s*-?%\\}");
  private static final Jinjava JINJAVA = newJinjava();

  private final String source;
  /** The source with supported Python-only constructs rewritten (see {@link PythonCompat}); this is rendered. */
  private final String effective;
  private final Map<String, Object> variables;
  private final boolean insertEmptySystemMessage;
  private final Optional<String> unsupported;
  private final boolean hasGenerationBlocks;
  /** Blocks plus brackets at the deepest point of the source ({@link TemplateNesting}). */
  private final int nesting;
  private final TemplateLimits limits;

  private ChatTemplate(String source, String effective, Optional<String> unsupported, boolean hasGenerationBlocks,
      int nesting, Map<String, Object> variables, boolean insertEmptySystemMessage, TemplateLimits limits) {
    this.source = source;
    this.effective = effective;
    this.unsupported = unsupported;
    this.hasGenerationBlocks = hasGenerationBlocks;
    this.nesting = nesting;
    this.variables = Map.copyOf(variables);
    this.insertEmptySystemMessage = insertEmptySystemMessage;
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * A template from its Jinja source, with no special-token variables yet (see {@link #withSpecialTokens}), rendered
   * under {@link TemplateLimits#DEFAULTS}.
   */
  public static ChatTemplate of(String source) {
    Objects.requireNonNull(source, "source");
    String effective = PythonCompat.rewrite(source);
    return new ChatTemplate(source, effective, TemplateSupport.unsupportedConstruct(effective),
        GENERATION_TAG.matcher(source).find(), TemplateNesting.depth(source), Map.of(), false,
        TemplateLimits.DEFAULTS);
  }

  /** A copy with other variables, system-message setting and limits; the source is not rewritten or checked again. */
  private ChatTemplate with(Map<String, Object> newVariables, boolean insert, TemplateLimits newLimits) {
    return new ChatTemplate(source, effective, unsupported, hasGenerationBlocks, nesting, newVariables, insert,
        newLimits);
  }

  /** A copy rendered under other limits (time, output, depth, argument sizes); see {@link TemplateLimits}. */
  public ChatTemplate withLimits(TemplateLimits newLimits) {
    return with(variables, insertEmptySystemMessage, Objects.requireNonNull(newLimits, "limits"));
  }

  /** The limits every render of this template runs under. */
  public TemplateLimits limits() {
    return limits;
  }

  /** The alignment-handbook Zephyr template; {@code eos_token} must be supplied ({@link #withSpecialTokens}). */
  public static ChatTemplate zephyr() {
    return of(ZEPHYR_SOURCE);
  }

  /** The ChatML template. */
  public static ChatTemplate chatml() {
    return of(CHATML_SOURCE);
  }

  /**
   * The tokenizer's default template with its special tokens bound.
   *
   * @throws TemplateException when the tokenizer has no chat template (choose {@link #zephyr()} or {@link #chatml()})
   */
  public static ChatTemplate forTokenizer(TokenizerConfig config) {
    String src = config.chatTemplate().orElseThrow(() -> new TemplateException(
        "the tokenizer has no chat_template; use ChatTemplate.zephyr() or ChatTemplate.chatml()"));
    return of(src).withSpecialTokens(config);
  }

  /** A copy that binds {@code bos_token}, {@code eos_token}, {@code pad_token} and {@code unk_token} from the config. */
  public ChatTemplate withSpecialTokens(TokenizerConfig config) {
    Map<String, Object> v = new LinkedHashMap<>(variables);
    putIfNotNull(v, "bos_token", config.bosToken());
    putIfNotNull(v, "eos_token", config.eosToken());
    putIfNotNull(v, "pad_token", config.padToken());
    putIfNotNull(v, "unk_token", config.unkToken());
    return with(v, insertEmptySystemMessage, limits);
  }

  /** A copy with extra variables available to every render ({@code date_string}, {@code tools}, ...). */
  public ChatTemplate withVariables(Map<String, ?> extra) {
    Map<String, Object> v = new LinkedHashMap<>(variables);
    v.putAll(extra);
    return with(v, insertEmptySystemMessage, limits);
  }

  /**
   * A copy that inserts {@code {"role": "system", "content": ""}} before conversations that do not start with a system
   * message, as the original Zephyr recipe did (alignment-handbook {@code maybe_insert_system_message}).
   */
  public ChatTemplate withEmptySystemMessage(boolean insert) {
    return with(variables, insert, limits);
  }

  /** The Jinja source. */
  public String source() {
    return source;
  }

  /** Whether the template marks assistant content with {@code {% generation %}}. */
  public boolean hasGenerationBlocks() {
    return hasGenerationBlocks;
  }

  /** The Python-only construct that makes this template unrenderable here, if any. */
  public Optional<String> unsupportedConstruct() {
    return unsupported;
  }

  /** Renders core messages. */
  public String render(List<Message> messages, boolean addGenerationPrompt) {
    return renderMaps(toMaps(messages), addGenerationPrompt, Map.of());
  }

  /**
   * Renders messages given as maps (so they may carry {@code tool_calls}, {@code reasoning_content}, ...), with
   * per-call extra variables.
   *
   * @throws TemplateException when the template raises, fails, uses an unsupported construct, or exceeds one of its
   *     {@link #limits()}
   */
  public String renderMaps(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
      Map<String, ?> extra) {
    return render(messages, addGenerationPrompt, extra, false).text();
  }

  /**
   * Renders and reports the character ranges of {@code {% generation %}} blocks in the output (empty when the template
   * has none).
   */
  public Rendered renderWithGenerationSpans(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
      Map<String, ?> extra) {
    return render(messages, addGenerationPrompt, extra, hasGenerationBlocks);
  }

  /**
   * A rendered conversation.
   *
   * @param text the rendered text
   * @param generationSpans [start, end) Java string indices of each {@code {% generation %}} block, in order
   */
  public record Rendered(String text, List<int[]> generationSpans) {}

  /** Messages as the maps templates see: {@code {"role": "user", "content": "..."}}. */
  public static List<Map<String, Object>> toMaps(List<Message> messages) {
    List<Map<String, Object>> out = new ArrayList<>(messages.size());
    for (Message m : messages) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("role", m.role().wireName());
      map.put("content", m.content());
      out.add(map);
    }
    return out;
  }

  private Rendered render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> extra,
      boolean track) {
    if (unsupported.isPresent()) {
      throw new TemplateException("unsupported chat template construct: " + unsupported.get()
          + "; refusing to render rather than produce text that differs from transformers");
    }
    if (nesting > limits.maxDepth()) {
      throw new TemplateLimitException("chat template nests " + nesting + " levels deep (blocks plus brackets), over the"
          + " depth limit of " + limits.maxDepth() + " (TemplateLimits.maxDepth); " + TemplateLimits.HOW_TO_CHANGE);
    }
    List<Map<String, Object>> msgs = new ArrayList<>();
    if (insertEmptySystemMessage && (messages.isEmpty() || !"system".equals(messages.get(0).get("role")))) {
      Map<String, Object> system = new LinkedHashMap<>();
      system.put("role", "system");
      system.put("content", "");
      msgs.add(system);
    }
    for (Map<String, ?> m : messages) {
      msgs.add(new LinkedHashMap<>(m));
    }
    if (track && containsSentinel(msgs)) {
      throw new TemplateException("a message contains U+E000/U+E001, which mark {% generation %} blocks");
    }
    Map<String, Object> context = new LinkedHashMap<>(variables);
    context.putAll(extra);
    context.put("messages", msgs);
    context.put("add_generation_prompt", addGenerationPrompt);
    context.put(TRACK_VARIABLE, track);
    TemplateGuard guard = TemplateGuard.start(limits, context);
    RenderResult result;
    try (TemplateGuard.Scope scope = guard.enter()) {
      result = JINJAVA.renderForResult(effective, context, renderConfig(guard));
    } catch (TemplateGuard.Abort abort) {
      throw abort.exception();
    } catch (StackOverflowError tooDeep) {
      // Long operator or filter chains nest in Jinjava's expression parser without brackets, so the source check
      // cannot see them; the stack has unwound by now, and the render left no state behind.
      throw new TemplateLimitException("chat template nests too deeply: rendering it overflowed the Java stack (a long"
          + " chain of filters or operators, or recursion; TemplateLimits.maxDepth = " + limits.maxDepth()
          + " bounds blocks, brackets and macro recursion)");
    } catch (RuntimeException e) {
      throw new TemplateException("chat template failed: " + messageOf(e), e);
    }
    if (guard.failure() != null) {
      throw guard.failure();
    }
    for (TemplateError error : result.getErrors()) {
      TemplateException limit = guard.limitError(error);
      if (limit != null) {
        throw limit;
      }
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        RaisedByTemplate raised = findRaised(error.getException());
        if (raised != null) {
          throw new TemplateException(raised.getMessage(), raised);
        }
        throw new TemplateException("chat template error at line " + error.getLineno() + ": "
            + TemplateCode.abbreviate(String.valueOf(error.getMessage())), error.getException());
      }
    }
    String out = result.getOutput();
    guard.checkLength(out.length());
    return track ? stripSentinels(out) : new Rendered(out, List.of());
  }

  private static Rendered stripSentinels(String out) {
    StringBuilder sb = new StringBuilder(out.length());
    List<int[]> spans = new ArrayList<>();
    int open = -1;
    for (int i = 0; i < out.length(); i++) {
      char c = out.charAt(i);
      if (c == GENERATION_START) {
        if (open >= 0) {
          throw new TemplateException("nested {% generation %} blocks are not supported");
        }
        open = sb.length();
      } else if (c == GENERATION_END) {
        spans.add(new int[] {open, sb.length()});
        open = -1;
      } else {
        sb.append(c);
      }
    }
    return new Rendered(sb.toString(), List.copyOf(spans));
  }

  private static boolean containsSentinel(Object v) {
    if (v instanceof String s) {
      return s.indexOf(GENERATION_START) >= 0 || s.indexOf(GENERATION_END) >= 0;
    }
    if (v instanceof Map<?, ?> m) {
      return m.values().stream().anyMatch(ChatTemplate::containsSentinel);
    }
    if (v instanceof Collection<?> c) {
      return c.stream().anyMatch(ChatTemplate::containsSentinel);
    }
    return false;
  }

  private static RaisedByTemplate findRaised(Throwable t) {
    for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
      if (t instanceof RaisedByTemplate r) {
        return r;
      }
    }
    return null;
  }

  private static String messageOf(Throwable t) {
    RaisedByTemplate r = findRaised(t);
    return r != null ? r.getMessage() : String.valueOf(t.getMessage());
  }

  private static void putIfNotNull(Map<String, Object> map, String key, Object value) {
    if (value != null) {
      map.put(key, value);
    }
  }

  /** Thrown by the template's {@code raise_exception(message)}. */
  static final class RaisedByTemplate extends RuntimeException {
    RaisedByTemplate(String message) {
      super(message);
    }
  }

  /** {@code raise_exception(message)} as transformers defines it: fails the render with the template's message. */
  public static Object raiseException(String message) {
    throw new RaisedByTemplate(message);
  }

  /** {@code strftime_now(format)}: the local time formatted with a Python strftime pattern. */
  public static String strftimeNow(String format) {
    return strftime(LocalDateTime.now(), format);
  }

  static String strftime(LocalDateTime t, String format) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%' || i + 1 == format.length()) {
        sb.append(c);
        continue;
      }
      char f = format.charAt(++i);
      switch (f) {
        case 'Y' -> sb.append(t.getYear());
        case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
        case 'm' -> sb.append(String.format("%02d", t.getMonthValue()));
        case 'd' -> sb.append(String.format("%02d", t.getDayOfMonth()));
        case 'H' -> sb.append(String.format("%02d", t.getHour()));
        case 'I' -> sb.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
        case 'M' -> sb.append(String.format("%02d", t.getMinute()));
        case 'S' -> sb.append(String.format("%02d", t.getSecond()));
        case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
        case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
        case 'b' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'F' -> sb.append(t.format(DateTimeFormatter.ISO_LOCAL_DATE));
        case '%' -> sb.append('%');
        default -> throw new TemplateException("strftime_now: unsupported format code %" + f);
      }
    }
    return sb.toString();
  }

  private static JinjavaConfig.Builder baseConfig() {
    // Jlama's settings (PromptSupport): trim/lstrip blocks plus the overrides that make whitespace control and
    // expression trimming behave like Python Jinja2. LegacyOverrides.ALL is worse (drops newlines).
    return JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        .withLegacyOverrides(LegacyOverrides.newBuilder()
            .withParseWhitespaceControlStrictly(true)
            .withUseTrimmingForNotesAndExpressions(true)
            .withUseSnakeCasePropertyNaming(true)
            .withKeepNullableLoopValues(true)
            .withUsePyishObjectMapper(true)
            .build())
        .withDisabled(TemplateSandbox.DISABLED)
        .withRestrictedMethods(TemplateSandbox.RESTRICTED_METHODS);
  }

  /**
   * The configuration of one render: the base settings plus Jinjava's own bounds set from the guard's limits, recursive
   * macros allowed as in Jinja2 (up to the depth limit), and the guard's clock checked before every node.
   */
  private static JinjavaConfig renderConfig(TemplateGuard guard) {
    TemplateLimits limits = guard.limits();
    return baseConfig()
        .withMaxOutputSize(guard.outputCap())
        .withMaxStringLength(guard.outputCap())
        .withMaxListSize(guard.maxCollection())
        .withMaxMapSize(guard.maxCollection())
        // One more than the limit, so that TemplateGuard.range sees a list that is too long instead of a cut one.
        .withRangeLimit(limits.maxArgument() == Integer.MAX_VALUE ? Integer.MAX_VALUE : limits.maxArgument() + 1)
        .withEnableRecursiveMacroCalls(true)
        .withMaxMacroRecursionDepth(limits.maxDepth())
        .withNodePreProcessor(guard.preProcessor())
        .build();
  }

  private static Jinjava newJinjava() {
    Jinjava jinjava = new Jinjava(baseConfig().build());
    jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException",
        String.class));
    jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow",
        String.class));
    jinjava.registerFilter(new ToJson());
    PythonCompat.register(jinjava);
    jinjava.registerTag(new GenerationTag());
    TemplateSandbox.install(jinjava);
    return jinjava;
  }

  /** {@code {% generation %}...{% endgeneration %}}: renders its body, wrapped in sentinels when masks are wanted. */
  static final class GenerationTag implements Tag {
    @Override
    public String getName() {
      return "generation";
    }

    @Override
    public String getEndTagName() {
      return "endgeneration";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      StringBuilder sb = new StringBuilder();
      for (Node child : tagNode.getChildren()) {
        sb.append(child.render(interpreter).getValue());
        TemplateGuard.length(sb.length());
      }
      if (Boolean.TRUE.equals(interpreter.getContext().get(TRACK_VARIABLE))) {
        return GENERATION_START + sb.toString() + GENERATION_END;
      }
      return sb.toString();
    }
  }

  /** transformers' {@code tojson}: {@code json.dumps(x, ensure_ascii=False, indent=, separators=, sort_keys=)}. */
  static final class ToJson implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = kwargs.get("indent");
      if (indent == null && args.length > 0) {
        indent = args[0];
      }
      TemplateGuard.argument("tojson(indent=...)", indent);
      String indentText = null;
      if (indent instanceof Number n) {
        indentText = " ".repeat(n.intValue());
      } else if (indent instanceof String s) {
        indentText = s.matches("\\d+") ? " ".repeat(Integer.parseInt(s)) : s;
      }
      String[] separators = null;
      if (kwargs.get("separators") instanceof List<?> l && l.size() == 2) {
        separators = new String[] {String.valueOf(l.get(0)), String.valueOf(l.get(1))};
      }
      boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
      return new PyJson(indentText, separators, sortKeys).write(var);
    }
  }
}
