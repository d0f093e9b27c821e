package dev.zephyr.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.zephyr.core.TemplateException;
import dev.zephyr.core.chat.Message;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Chat templates are untrusted input: each probe from issue 13 (hangs, huge output, deep nesting, huge filter
 * arguments, reading classpath resources) must end quickly in a {@link TemplateException} that names the limit.
 */
class ChatTemplateLimitsTest {
  private static final List<Map<String, Object>> ONE_MESSAGE = ChatTemplate.toMaps(List.of(Message.user("hi")));
  private static final String THREE_NESTED_LOOPS = "{% for i in range(1000) %}{% for j in range(1000) %}"
      + "{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}";
  /** Builds a list holding one 238,890-character string 40 times (about 9.6 million characters when printed). */
  private static final String BIG_LIST = "{% set big = range(50000)|map('string')|join('') %}{% set l = [] %}"
      + "{% for i in range(40) %}{% do l.append(big) %}{% endfor %}";

  private static String render(String source) {
    return ChatTemplate.of(source).renderMaps(ONE_MESSAGE, false, Map.of());
  }

  private static String render(String source, TemplateLimits limits) {
    return ChatTemplate.of(source).withLimits(limits).renderMaps(ONE_MESSAGE, false, Map.of());
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(String source) {
    return assertThatThrownBy(() -> render(source)).isInstanceOf(TemplateException.class);
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    assertThat(TemplateLimits.DEFAULTS).isEqualTo(new TemplateLimits(Duration.ofSeconds(5), 1_048_576, 100, 100_000));
    assertThat(ChatTemplate.of("x").limits()).isEqualTo(TemplateLimits.DEFAULTS);
    TemplateLimits custom = TemplateLimits.DEFAULTS.withMaxDepth(7);
    // Every copy keeps the limits it was given.
    assertThat(ChatTemplate.zephyr().withLimits(custom).withVariables(Map.of("x", 1)).withEmptySystemMessage(true)
        .limits()).isEqualTo(custom);
    assertThatThrownBy(() -> TemplateLimits.DEFAULTS.withRenderTime(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renderTime");
    assertThatThrownBy(() -> TemplateLimits.DEFAULTS.withMaxOutputChars(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxOutputChars");
    assertThatThrownBy(() -> TemplateLimits.DEFAULTS.withMaxDepth(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxDepth");
    assertThatThrownBy(() -> TemplateLimits.DEFAULTS.withMaxArgument(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxArgument");
  }

  // ---- time ----

  @Test
  void aBillionLoopStepsEndAtTheTimeLimit() {
    TemplateLimits limits = TemplateLimits.DEFAULTS.withRenderTime(Duration.ofMillis(300));
    long start = System.nanoTime();
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> render(THREE_NESTED_LOOPS,
        limits)).isInstanceOf(TemplateException.class)
        .hasMessageContaining("render time limit of 300 ms")
        .hasMessageContaining("TemplateLimits.renderTime")
        .hasMessageContaining("ChatTemplate.withLimits"));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // loop bodies that set variables, call macros, or spend their time inside filters
      "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% set x = k %}{% endfor %}"
          + "{% endfor %}{% endfor %}",
      "{% macro f() %}{% for k in range(1000) %}{% endfor %}{% endmacro %}"
          + "{% for i in range(1000) %}{% for j in range(1000) %}{{ f() }}{% endfor %}{% endfor %}",
      "{% for i in range(100000) %}{{ range(100000)|sum }}{% endfor %}"})
  void everyKindOfLongLoopEndsAtTheTimeLimit(String source) {
    TemplateLimits limits = TemplateLimits.DEFAULTS.withRenderTime(Duration.ofMillis(300));
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> render(source, limits))
        .isInstanceOf(TemplateException.class).hasMessageContaining("TemplateLimits.renderTime"));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 4, 5})
  void loadingAHostileSourceTakesTimeLinearInItsLength(int which) {
    // Each of these stalled (cubic or quadratic regular expressions) or overflowed the stack while the template was
    // being loaded, before any render limit applied.
    int n = 100_000;
    String source = switch (which) {
      case 0 -> "{{ [" + ":".repeat(n) + "] }}";
      case 1 -> "{{".repeat(n);
      case 2 -> "{{ x" + " ".repeat(n) + "- }}";
      case 3 -> "{{ '" + "\\\\".repeat(n) + "' }}";
      case 4 -> "{% set ns = namespace(" + "a=(1),".repeat(n) + ") %}";
      default -> "{{ x" + ".strip()".repeat(n) + " }}";
    };
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      try {
        ChatTemplate.of(source);
      } catch (TemplateException refused) {
        assertThat(refused.getMessage()).hasSizeLessThan(1000);
      }
    });
  }

  @Test
  void longLiteralsAreStillRecognisedWhileLoading() {
    String literal = "'" + "\\'x".repeat(20_000) + "'";
    // Inside a literal, a Python-only construct is just text.
    assertThat(ChatTemplate.of("{{ " + literal + " }}{{ ''.startswith('a') }}").unsupportedConstruct()).isEmpty();
    assertThat(ChatTemplate.of("{{ " + literal + " ~ x[1:2:3] }}").unsupportedConstruct()).get().asString()
        .contains("extended slice '[1:2:3]'");
    assertThat(ChatTemplate.of("{% set ns = namespace(a=" + literal + ") %}{{ ns.a|length }}")
        .renderMaps(ONE_MESSAGE, false, Map.of())).isEqualTo("40000");
  }

  // ---- output ----

  @Test
  void hugeOutputFailsAtTheOutputLimitInsteadOfRunningOutOfMemory() {
    // 66 million characters if nothing stopped it.
    String source = "{% for i in range(1000) %}{% for j in range(1000) %}{{ '" + "x".repeat(66) + "' }}"
        + "{% endfor %}{% endfor %}";
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertRefused(source)
        .hasMessageContaining("output limit of")
        .hasMessageContaining("TemplateLimits.maxOutputChars = 1048576"));
  }

  @Test
  void theOutputLimitCountsWhatTheTemplateAddsBeyondItsInput() {
    TemplateLimits limits = TemplateLimits.DEFAULTS.withMaxOutputChars(100);
    assertThat(render("{{ '" + "y".repeat(90) + "' }}", limits)).hasSize(90);
    assertThatThrownBy(() -> render("{{ '" + "y".repeat(400) + "' }}", limits))
        .isInstanceOf(TemplateException.class).hasMessageContaining("TemplateLimits.maxOutputChars = 100");
    // A long conversation is the input's own text, so it renders under the same small limit.
    String longText = "z".repeat(50_000);
    String rendered = ChatTemplate.chatml().withLimits(limits).render(List.of(Message.user(longText)), true);
    assertThat(rendered).contains(longText);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // doubling a string with ~, with join, with Python's str.replace and with the replace filter
      "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
      "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = [ns.s, ns.s]|join %}{% endfor %}",
      "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s.replace('a', ns.s) %}{% endfor %}",
      "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s|replace('a', ns.s) %}{% endfor %}",
      "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set t %}{{ ns.s }}{{ ns.s }}{% endset %}"
          + "{% set ns.s = t %}{% endfor %}",
      "{% macro f() %}{% for k in range(100000) %}" + "xxxxxxxxxxxxxxxxxxxx" + "{% endfor %}{% endmacro %}{{ f() }}",
      "{% generation %}{% for i in range(100000) %}{{ 'xxxxxxxxxxxxxxxxxxxx' }}{% endfor %}{% endgeneration %}",
      // printing, serialising or filtering a list that holds one long string many times
      BIG_LIST + "{{ l }}",
      BIG_LIST + "{{ l|tojson }}",
      BIG_LIST + "{{ l|string }}",
      BIG_LIST + "{{ '%s'|format(l) }}",
      BIG_LIST + "{{ [l]|join }}",
      BIG_LIST + "{{ ''.join(l) }}"})
  void stringsAndListsBuiltInsideTheTemplateAreBoundedToo(String source) {
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertRefused(source)
        .hasMessageContaining("exceeds the output limit")
        .hasMessageContaining("TemplateLimits.maxOutputChars"));
  }

  @Test
  void listsAndDictsBuiltByTheTemplateAreBoundedByTheArgumentLimit() {
    assertRefused("{% set ns = namespace(l=[1]) %}{% for i in range(30) %}{% set ns.l = ns.l + ns.l %}{% endfor %}")
        .hasMessageContaining("list or dict of more than 100000 items")
        .hasMessageContaining("TemplateLimits.maxArgument");
  }

  // ---- depth ----

  @Test
  void deeplyNestedBlocksAndBracketsAreRefusedBeforeRendering() {
    String ifs = "{% if true %}".repeat(3000) + "x" + "{% endif %}".repeat(3000);
    String parens = "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}";
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      assertRefused(ifs).hasMessageContaining("nests 3000 levels deep")
          .hasMessageContaining("depth limit of 100 (TemplateLimits.maxDepth)");
      assertRefused(parens).hasMessageContaining("nests 5000 levels deep")
          .hasMessageContaining("TemplateLimits.maxDepth");
    });
    // Up to the limit is fine, and the limit can be raised.
    assertThat(render("{% if true %}".repeat(99) + "x" + "{% endif %}".repeat(99))).isEqualTo("x");
    assertThat(render("{{ " + "(".repeat(150) + "1" + ")".repeat(150) + " }}",
        TemplateLimits.DEFAULTS.withMaxDepth(200))).isEqualTo("1");
  }

  @Test
  void chainsTooLongForTheStackFailAsATemplateErrorAndLeaveRenderingIntact() {
    assertRefused("{{ " + "not ".repeat(50_000) + "true }}")
        .hasMessageContaining("overflowed the Java stack")
        .hasMessageContaining("TemplateLimits.maxDepth");
    assertThat(ChatTemplate.chatml().render(List.of(Message.user("still fine")), false))
        .isEqualTo("<|im_start|>user\nstill fine<|im_end|>\n");
  }

  @Test
  void recursiveMacrosWorkAsInJinjaUpToTheDepthLimit() {
    String countdown = "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}";
    assertThat(render(countdown + "{{ f(5) }}")).isEqualTo("54321");
    assertRefused("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
        .hasMessageContaining("Max recursion limit of 100 reached for macro 'f'")
        .hasMessageContaining("TemplateLimits.maxDepth = 100");
  }

  // ---- arguments ----

  @ParameterizedTest
  @ValueSource(strings = {
      "{{ messages|tojson(indent=1000000000) }}|tojson(indent=...)",
      "{{ messages|tojson(indent=1e9) }}|tojson(indent=...)",
      "{{ 'x'|center(1000000000) }}|center(width)",
      "{{ 'x\\ny'|indent(1000000000) }}|indent(width)",
      "{{ '%1000000000d'|format(5) }}|format field '%1000000000'",
      "{{ [1, 2]|batch(1000000000, 'x')|list }}|batch(linecount)",
      "{{ 1.5|round(1000000000) }}|round(precision)",
      "{{ range(1000000000)|length }}|range(...)"})
  void sizeArgumentsBeyondTheLimitAreRefusedBeforeAllocating(String sourceAndCall) {
    String[] parts = sourceAndCall.split("\\|(?=[^|]*$)");
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertRefused(parts[0])
        .hasMessageContaining(parts[1])
        .hasMessageContaining("argument limit")
        .hasMessageContaining("TemplateLimits.maxArgument"));
  }

  @Test
  void sizeArgumentsWithinTheLimitWorkAndRangeIsNeverCutShort() {
    assertThat(render("{{ 'x'|center(5) }}|")).isEqualTo("  x  |");
    assertThat(render("{{ [1]|tojson(indent=3) }}")).isEqualTo("[\n   1\n]");
    // Jinjava alone cuts range() to 1000 numbers; Python does not.
    assertThat(render("{{ range(2000)|length }}")).isEqualTo("2000");
    assertThatThrownBy(() -> render("{{ range(2000)|length }}", TemplateLimits.DEFAULTS.withMaxArgument(1000)))
        .isInstanceOf(TemplateException.class).hasMessageContaining("more than 1000 numbers");
    // An indent within the limit that would still multiply a long text past the output limit.
    assertRefused("{% set s = range(100000)|map('string')|join('\\n') %}{{ s|indent(100000) }}")
        .hasMessageContaining("TemplateLimits.maxOutputChars");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{{ 'a'.repeat(1000000000) }}", "{{ '%1000000000d'.formatted(1) }}",
      "{{ 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa!'.matches('(a|aa)+') }}", "{{ 'ab'.concat('c') }}", "{{ [1].toString() }}",
      "{{ 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa!'|regex_replace('(a|aa)+$', '') }}", "{{ 'abc'|render }}",
      "{% set s = 'ab' %}{{ s * 1000000000 }}"})
  void javaMethodsAndJinjavaExtrasThatAllocateOrBacktrackAreNotAvailable(String source) {
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertRefused(source));
  }

  // ---- reach ----

  @ParameterizedTest
  @ValueSource(strings = {
      "{% include 'logback.xml' %}",
      "{% include 'META-INF/MANIFEST.MF' %}",
      "{% include 'java/lang/Object.class' %}",
      "{% import 'META-INF/MANIFEST.MF' as m %}{{ m }}",
      "{% from 'logback.xml' import x %}{{ x }}",
      "{% extends 'META-INF/MANIFEST.MF' %}"})
  void thereIsNoLoaderSoNoResourceCanBeRead(String source) {
    String tag = source.replaceFirst("^\\{% (\\w+).*", "$1");
    assertRefused(source)
        .hasMessageContaining("{% " + tag + " %}")
        .hasMessageContaining("no loader")
        .hasMessageNotContaining("Manifest-Version");
  }

  // ---- the tokenizer path ----

  @Test
  void chatTokenizerRendersUnderTheLimitsItIsGiven(@TempDir Path dir) {
    try (Tokenizer tok = Tokenizer.load(TinyTokenizers.characterLevel(dir))) {
      ChatTokenizer chat = ChatTokenizer.of(tok);
      assertThat(chat.template().limits()).isEqualTo(TemplateLimits.DEFAULTS);
      List<Message> conversation = List.of(Message.user("hi"), Message.assistant("hello"));
      assertThat(chat.applyChatTemplate(conversation, false).rendered())
          .isEqualTo("<|user|>\nhi</s>\n<|assistant|>\nhello</s>\n");
      // The Zephyr template nests an if inside a for.
      ChatTokenizer tight = chat.withTemplateLimits(TemplateLimits.DEFAULTS.withMaxDepth(1));
      assertThat(tight.template().limits().maxDepth()).isEqualTo(1);
      assertThatThrownBy(() -> tight.applyChatTemplate(conversation, false))
          .isInstanceOf(TemplateException.class).hasMessageContaining("depth limit of 1 (TemplateLimits.maxDepth)");
    }
  }
}
