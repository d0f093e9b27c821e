package dev.zephyr.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.TemplateException;
import dev.zephyr.core.chat.Message;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Template features one by one, with expected outputs written out by hand from Python Jinja2 semantics. */
class ChatTemplateTest {
  static final TokenizerConfig ZEPHYR_TOKENS = new TokenizerConfig("<s>", "</s>", "</s>", "<unk>",
      java.util.OptionalInt.empty(), true, false, null, null, Map.of());

  @Test
  void zephyrBuiltInMatchesTheHandbookPromptFormat() {
    ChatTemplate t = ChatTemplate.zephyr().withSpecialTokens(ZEPHYR_TOKENS);
    List<Message> msgs = List.of(Message.system(""), Message.user("Hi"), Message.assistant("Hello!"));
    assertThat(t.render(msgs, false)).isEqualTo("<|system|>\n</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n");
    assertThat(t.render(msgs.subList(0, 2), true)).isEqualTo("<|system|>\n</s>\n<|user|>\nHi</s>\n<|assistant|>\n");
  }

  @Test
  void emptySystemMessageInsertionAsTheOriginalRecipe() {
    ChatTemplate t = ChatTemplate.zephyr().withSpecialTokens(ZEPHYR_TOKENS).withEmptySystemMessage(true);
    assertThat(t.render(List.of(Message.user("Hi")), true)).isEqualTo("<|system|>\n</s>\n<|user|>\nHi</s>\n<|assistant|>\n");
    // An existing system message is kept, not doubled.
    assertThat(t.render(List.of(Message.system("S"), Message.user("Hi")), false))
        .isEqualTo("<|system|>\nS</s>\n<|user|>\nHi</s>\n");
    assertThat(ChatTemplate.zephyr().withSpecialTokens(ZEPHYR_TOKENS).render(List.of(Message.user("Hi")), false))
        .isEqualTo("<|user|>\nHi</s>\n");
  }

  @Test
  void chatml() {
    assertThat(ChatTemplate.chatml().render(List.of(Message.system("S"), Message.user("Hi")), true))
        .isEqualTo("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  }

  @Test
  void tojsonMatchesPythonJsonDumps() {
    Map<String, Object> fn = new LinkedHashMap<>();
    fn.put("name", "météo");
    fn.put("args", List.of(1, 2.5, true, 1.0e-5, 0.0001));
    fn.put("note", "a\"b\\c\nd\u0001");
    fn.put("empty", Map.of());
    Map<String, Object> extra = Map.of("tools", List.of(fn));
    ChatTemplate t = ChatTemplate.of("{% for tool in tools %}{{ tool | tojson }}{% endfor %}");
    assertThat(t.renderMaps(List.of(), false, extra)).isEqualTo(
        "{\"name\": \"météo\", \"args\": [1, 2.5, true, 1e-05, 0.0001], \"note\": \"a\\\"b\\\\c\\nd\\u0001\","
            + " \"empty\": {}}");
    ChatTemplate indented = ChatTemplate.of("{{ tools[0]['args'][:2] | tojson(indent=2) }}");
    assertThat(indented.renderMaps(List.of(), false, extra)).isEqualTo("[\n  1,\n  2.5\n]");
  }

  @Test
  void loopControlsAndLoopVariables() {
    ChatTemplate t = ChatTemplate.of("{% for m in messages %}{% if m['role'] == 'system' %}{% continue %}{% endif %}"
        + "{% if loop.index0 > 2 %}{% break %}{% endif %}{{ loop.index }}:{{ m['content'] }}"
        + "{% if not loop.last %},{% endif %}{% endfor %}");
    List<Message> msgs = List.of(Message.system("s"), Message.user("a"), Message.assistant("b"), Message.user("c"));
    assertThat(t.render(msgs, false)).isEqualTo("2:a,3:b,");
  }

  @Test
  void generationTagRendersItsBodyAndMarksSpans() {
    ChatTemplate t = ChatTemplate.of(ChatTokenizerTest.GENERATION_TEMPLATE).withSpecialTokens(ZEPHYR_TOKENS);
    List<Map<String, Object>> msgs = ChatTemplate.toMaps(List.of(Message.user("Q"), Message.assistant("A")));
    String plain = t.renderMaps(msgs, false, Map.of());
    assertThat(plain).isEqualTo("<|user|>\nQ</s>\n<|assistant|>\nA</s>\n");
    ChatTemplate.Rendered r = t.renderWithGenerationSpans(msgs, false, Map.of());
    assertThat(r.text()).isEqualTo(plain);
    assertThat(r.generationSpans()).hasSize(1);
    int[] span = r.generationSpans().get(0);
    assertThat(plain.substring(span[0], span[1])).isEqualTo("A</s>");
  }

  @Test
  void extraVariablesAndUndefinedChecks() {
    ChatTemplate t = ChatTemplate.of("{% if date_string is defined %}{{ date_string }}{% else %}none{% endif %}"
        + "|{{ add_generation_prompt }}");
    assertThat(t.renderMaps(List.of(), false, Map.of("date_string", "26 Jul 2024"))).isEqualTo("26 Jul 2024|false");
    assertThat(t.withVariables(Map.of("date_string", "1 Jan 2025")).renderMaps(List.of(), false, Map.of()))
        .isEqualTo("1 Jan 2025|false");
    assertThat(ChatTemplate.strftime(LocalDateTime.of(2024, 7, 26, 9, 5), "%d %b %Y %H:%M")).isEqualTo(
        "26 Jul 2024 09:05");
  }

  @Test
  void pythonOnlyConstructsAreRefusedByName() {
    List<Message> msgs = List.of(Message.user("hi"));
    assertThatThrownBy(() -> ChatTemplate.of("{% for m in messages[::-1] %}{{ m.content }}{% endfor %}")
        .render(msgs, false))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("[::-1]");
    assertThatThrownBy(() -> ChatTemplate.of("{% if messages[0].content.startswith('h') %}x{% endif %}")
        .render(msgs, false))
        .hasMessageContaining(".startswith(");
    assertThatThrownBy(() -> ChatTemplate.of("{{ messages[0].content.strip('\\n') }}").render(msgs, false))
        .hasMessageContaining(".strip(chars)");
    assertThatThrownBy(() -> ChatTemplate.of("{% set ns = namespace(i=messages|length - 1) %}{{ ns.i }}")
        .render(msgs, false))
        .hasMessageContaining("namespace(...)")
        .hasMessageContaining("messages|length - 1");
    // Literal namespace arguments, .strip() without arguments, and the same words inside strings are fine.
    assertThat(ChatTemplate.of("{% set ns = namespace(x=true, s='') %}{{ ns.x }}{{ ' a '.strip() }}{{ '[::-1]' }}"
        + "{{ '.startswith(' }}").unsupportedConstruct()).isEmpty();
    assertThat(ChatTemplate.of("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
        + "{% endfor %}{{ ns.n }}").render(List.of(Message.user("a"), Message.user("b")), false)).isEqualTo("2");
  }

  @Test
  void qwen3TemplateIsRefusedNamingTheConstruct() {
    TokenizerConfig qwen = TokenizerConfig.load(dev.zephyr.core.testing.SharedData.path("tokenizers", "qwen3"));
    ChatTemplate t = ChatTemplate.forTokenizer(qwen);
    assertThat(t.unsupportedConstruct()).isPresent();
    assertThatThrownBy(() -> t.render(List.of(Message.user("hi")), true))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("unsupported chat template construct");
  }

  @Test
  void missingTemplateIsATypedError() {
    assertThatThrownBy(() -> ChatTemplate.forTokenizer(TokenizerConfig.empty()))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("no chat_template");
  }
}
