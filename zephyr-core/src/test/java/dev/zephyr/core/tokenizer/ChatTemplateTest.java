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
  void listsAndMapsPrintAsPythonReprs() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("k", 1);
    assertThat(ChatTemplate.of("{{ l }}|{{ m }}|{{ 3/2 }}|{{ 7//2 }}").renderMaps(List.of(), false,
        Map.of("l", List.of("a", "b"), "m", m))).isEqualTo("['a', 'b']|{'k': 1}|1.5|3");
  }

  @Test
  void printedValuesReadAsPythonStr() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a", true);
    m.put("b", null);
    m.put("c", List.of("it's", "x\ny", 2.5));
    assertThat(ChatTemplate.of("{{ true }}|{{ 1 == 2 }}|{{ m }}|{{ [false, 1] }}|{{- ' x ' -}}|{{ 'plain' }}|{{ {'k': 1}.items()|list }}")
        .renderMaps(List.of(), false, Map.of("m", m)))
        .isEqualTo("True|False|{'a': True, 'b': None, 'c': [\"it's\", 'x\\ny', 2.5]}|[False, 1]| x |plain|[('k', 1)]");
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
    assertThat(t.renderMaps(List.of(), false, Map.of("date_string", "26 Jul 2024"))).isEqualTo("26 Jul 2024|False");
    assertThat(t.withVariables(Map.of("date_string", "1 Jan 2025")).renderMaps(List.of(), false, Map.of()))
        .isEqualTo("1 Jan 2025|False");
    assertThat(ChatTemplate.strftime(LocalDateTime.of(2024, 7, 26, 9, 5), "%d %b %Y %H:%M")).isEqualTo(
        "26 Jul 2024 09:05");
  }

  @Test
  void pythonStringMethodsAndReverseSliceFollowPython() {
    List<Message> msgs = List.of(Message.user("a"), Message.user("b"));
    // Expected values are what CPython prints for the same expressions.
    assertThat(ChatTemplate.of("{% for m in messages[::-1] %}{{ m.content }}{% endfor %}").render(msgs, false))
        .isEqualTo("ba");
    assertThat(ChatTemplate.of("{{ '  a b  '.split() }}|{{ 'a,b,,'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}")
        .render(msgs, false)).isEqualTo("['a', 'b']|['a', 'b', '', '']|['a', 'b,c']");
    assertThat(ChatTemplate.of("{{ 'xxhixx'.strip('x') }}|{{ '\n\nA\n'.lstrip('\n') }}|{{ 'A\n\n'.rstrip('\n') }}|"
        + "{{ '\u00a0 a '.strip() }}|{{ ', '.join(['a', 'b']) }}|{{ 'hello world'.title() }}|{{ 'hI'.upper() }}|"
        + "{{ 'hI'.lower() }}|{{ 'aaa'.replace('a', 'b', 2) }}").render(msgs, false))
        .isEqualTo("hi|A\n|A|a|a, b|Hello World|HI|hi|bba");
    assertThat(ChatTemplate.of("{% if messages[0].content.startswith('a') and not messages[1].content.endswith('a') %}"
        + "yes{% endif %}").render(msgs, false)).isEqualTo("yes");
    // A chain: split, subscript, then a method on the result.
    assertThat(ChatTemplate.of("{{ messages[0].content.split('</think>')[-1].lstrip('\n') }}")
        .render(List.of(Message.user("<think>r</think>\n\nanswer")), false)).isEqualTo("answer");
    assertThat(ChatTemplate.of("{% set ns = namespace(k=messages|length - 1, flag=true) %}{{ ns.k }}{{ ns.flag }}")
        .render(msgs, false)).isEqualTo("1True");
  }

  @Test
  void otherPythonOnlyConstructsAreRefusedByName() {
    List<Message> msgs = List.of(Message.user("hi"));
    assertThatThrownBy(() -> ChatTemplate.of("{% for m in messages[::2] %}{{ m.content }}{% endfor %}")
        .render(msgs, false))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("[::2]");
    assertThatThrownBy(() -> ChatTemplate.of("{{ '{}'.format(messages[0].content) }}").render(msgs, false))
        .hasMessageContaining(".format(...)");
    assertThatThrownBy(() -> ChatTemplate.of("{{ namespace(i=messages|length - 1).i }}").render(msgs, false))
        .hasMessageContaining("namespace(...)")
        .hasMessageContaining("messages|length - 1");
    assertThatThrownBy(() -> ChatTemplate.of("{{ 'ab' * 2 }}").render(msgs, false))
        .hasMessageContaining("string repetition");
    assertThatThrownBy(() -> ChatTemplate.of("{{ '%s!' % messages[0].content }}").render(msgs, false))
        .hasMessageContaining("printf-style");
    assertThatThrownBy(() -> ChatTemplate.of("{% for m in messages %}{{ loop.previtem }}{% endfor %}")
        .render(msgs, false))
        .hasMessageContaining("loop.previtem");
    // Literal namespace arguments and the same words inside strings are fine.
    assertThat(ChatTemplate.of("{% set ns = namespace(x=true, s='') %}{{ ns.x }}{{ '[::2]' }}{{ '.format(' }}")
        .unsupportedConstruct()).isEmpty();
    // A comma inside a string literal is not an argument separator.
    assertThat(ChatTemplate.of("{{ namespace(sep=', ', n=0).n }}").unsupportedConstruct()).isEmpty();
    assertThat(ChatTemplate.of("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
        + "{% endfor %}{{ ns.n }}").render(List.of(Message.user("a"), Message.user("b")), false)).isEqualTo("2");
  }

  /** Qwen3's template (from the tokenizer files) on cases the goldens do not cover: think blocks and tools. */
  @Test
  void qwen3ThinkBlocksAndToolsRenderLikeTransformers() {
    TokenizerConfig qwen = TokenizerConfig.load(dev.zephyr.core.testing.TestData.path("tokenizers", "qwen3"));
    ChatTemplate t = ChatTemplate.forTokenizer(qwen);
    assertThat(t.unsupportedConstruct()).isEmpty();
    assertThat(t.render(List.of(Message.user("Q"), Message.assistant("<think>\nR\n</think>\n\nA")), false))
        .isEqualTo("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nR\n</think>\n\nA<|im_end|>\n");
    assertThat(t.render(List.of(Message.user("Q1"), Message.assistant("<think>x</think>A1"), Message.user("Q2"),
        Message.assistant("A2")), false)).isEqualTo("<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1"
            + "<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA2"
            + "<|im_end|>\n");
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("type", "object");
    Map<String, Object> fn = new LinkedHashMap<>();
    fn.put("name", "get_weather");
    fn.put("parameters", params);
    Map<String, Object> tool = new LinkedHashMap<>();
    tool.put("type", "function");
    tool.put("function", fn);
    assertThat(t.renderMaps(ChatTemplate.toMaps(List.of(Message.user("Q"))), true, Map.of("tools", List.of(tool))))
        .isEqualTo("<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query."
            + "\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": "
            + "\"object\"}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments "
            + "within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
            + "<args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n");
  }

  @Test
  void missingTemplateIsATypedError() {
    assertThatThrownBy(() -> ChatTemplate.forTokenizer(TokenizerConfig.empty()))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("no chat_template");
  }
}
