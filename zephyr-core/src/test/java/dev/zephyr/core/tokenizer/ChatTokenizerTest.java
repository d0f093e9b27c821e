package dev.zephyr.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.TemplateException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.testing.TestData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Assistant masks, preference splitting and the double-BOS / missing-EOS checks on real tokenizers. */
class ChatTokenizerTest {
  /** Our own test template: Zephyr's layout with the assistant content and EOS inside a generation block. */
  static final String GENERATION_TEMPLATE = "{% for m in messages %}"
      + "{% if m['role'] == 'assistant' %}"
      + "{{ '<|assistant|>\n' }}{% generation %}{{ m['content'] + eos_token }}{% endgeneration %}{{ '\n' }}"
      + "{% else %}{{ '<|' + m['role'] + '|>\n' + m['content'] + eos_token + '\n' }}{% endif %}"
      + "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}";

  static Tokenizer zephyr;
  /**
   * Llama 3's layout without Llama's licence: Qwen3's byte-level BPE with a post-processor that adds BOS, and a
   * header-style template that writes BOS itself and ends turns with its EOS {@code <|turn_end|>}
   * (testdata/tools/make_qwen3_headers.py).
   */
  static Tokenizer headers;
  static final int HEADERS_BOS = 151669;

  @BeforeAll
  static void load() {
    zephyr = Tokenizer.load(TestData.path("tokenizers", "zephyr"));
    headers = Tokenizer.load(TestData.path("tokenizers", "qwen3_headers"));
  }

  @AfterAll
  static void close() {
    zephyr.close();
    headers.close();
  }

  static final List<Message> TWO_TURNS = List.of(
      Message.system(""),
      Message.user("Hi"),
      Message.assistant("Hello!"),
      Message.user("More?"),
      Message.assistant("Sure thing."));

  /** Decoded text of each maximal run of 1s in the mask. */
  static List<String> maskedRuns(Tokenizer tok, int[] ids, int[] mask) {
    List<String> runs = new ArrayList<>();
    int i = 0;
    while (i < mask.length) {
      if (mask[i] == 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < mask.length && mask[j] == 1) {
        j++;
      }
      runs.add(tok.decode(Arrays.copyOfRange(ids, i, j), false));
      i = j;
    }
    return runs;
  }

  @Test
  void multiTurnMaskByPrefixDifferencingCoversAssistantTextAndEos() {
    ChatTokenizer chat = ChatTokenizer.of(zephyr);
    TokenizedChat t = chat.applyChatTemplate(TWO_TURNS, false);
    assertThat(t.rendered()).isEqualTo("<|system|>\n</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n"
        + "<|user|>\nMore?</s>\n<|assistant|>\nSure thing.</s>\n");
    assertThat(t.inputIds()).containsExactly(zephyr.encode(t.rendered(), false));
    // Zephyr's template ends every turn with "</s>\n"; the newline after EOS belongs to the assistant turn. The legacy
    // SentencePiece tokenizer prepends "▁" to the text after a special token, so "\n" is ["▁", "<0x0A>"] and decodes
    // as " \n" (the golden ids confirm Hugging Face does the same).
    assertThat(maskedRuns(zephyr, t.inputIds(), t.assistantMask()))
        .containsExactly("Hello!</s> \n", "Sure thing.</s> \n");
    assertThat(maskedRuns(zephyr, t.inputIds(), t.completionMask())).containsExactly("Sure thing.</s> \n");
    int eos = zephyr.eosTokenId().getAsInt();
    long maskedEos = 0;
    for (int i = 0; i < t.inputIds().length; i++) {
      if (t.inputIds()[i] == eos && t.assistantMask()[i] == 1) {
        maskedEos++;
      }
    }
    assertThat(maskedEos).isEqualTo(2);
    int[] labels = t.labels(LossMode.ASSISTANT_ONLY);
    assertThat(labels[0]).isEqualTo(TokenizedChat.IGNORE_INDEX);
    assertThat(labels[labels.length - 3]).isEqualTo(eos); // then "▁", "<0x0A>"
    assertThat(t.lossMask(LossMode.ALL)).containsOnly(1);
  }

  @Test
  void generationBlocksGiveTheSameMaskWithoutTheTrailingNewline() {
    ChatTokenizer chat = ChatTokenizer.of(zephyr, ChatTemplate.of(GENERATION_TEMPLATE));
    assertThat(chat.template().hasGenerationBlocks()).isTrue();
    TokenizedChat t = chat.applyChatTemplate(TWO_TURNS, false);
    // Same text as the Zephyr template: the generation tag adds no characters.
    assertThat(t.rendered()).isEqualTo(ChatTokenizer.of(zephyr).render(TWO_TURNS, false));
    assertThat(maskedRuns(zephyr, t.inputIds(), t.assistantMask())).containsExactly("Hello!</s>", "Sure thing.</s>");
    assertThat(maskedRuns(zephyr, t.inputIds(), t.completionMask())).containsExactly("Sure thing.</s> \n");
  }

  @Test
  void headerTemplateMaskEndsWithTheEndOfTurnToken() {
    ChatTokenizer chat = ChatTokenizer.of(headers);
    TokenizedChat t = chat.applyChatTemplate(TWO_TURNS.subList(1, 5), false);
    assertThat(maskedRuns(headers, t.inputIds(), t.assistantMask()))
        .containsExactly("Hello!<|turn_end|>", "Sure thing.<|turn_end|>");
    assertThat(t.inputIds()[0]).isEqualTo(HEADERS_BOS).isEqualTo(headers.bosTokenId().getAsInt());
    assertThat(t.inputIds()[1]).isNotEqualTo(HEADERS_BOS);
  }

  @Test
  void emptyAssistantTurnStillTrainsTheEndOfTurnToken() {
    List<Message> msgs = List.of(Message.user("Hi"), Message.assistant(""));
    TokenizedChat diff = ChatTokenizer.of(zephyr).applyChatTemplate(msgs, false);
    assertThat(maskedRuns(zephyr, diff.inputIds(), diff.assistantMask())).containsExactly("</s> \n");
    TokenizedChat gen = ChatTokenizer.of(zephyr, ChatTemplate.of(GENERATION_TEMPLATE)).applyChatTemplate(msgs, false);
    assertThat(maskedRuns(zephyr, gen.inputIds(), gen.assistantMask())).containsExactly("</s>");
  }

  @Test
  void assistantTurnsThatRenderToNothingAreAnError() {
    ChatTemplate contentOnly = ChatTemplate.of("{% for m in messages %}{{ m['content'] }}{% endfor %}");
    assertThatThrownBy(() -> ChatTokenizer.of(zephyr, contentOnly)
        .applyChatTemplate(List.of(Message.user("Hi"), Message.assistant("")), false))
        .isInstanceOf(TokenizationException.class)
        .hasMessageContaining("no assistant token");
  }

  @Test
  void generationPromptAndNoAssistantTurnGiveAnEmptyMask() {
    TokenizedChat t = ChatTokenizer.of(zephyr).applyChatTemplate(List.of(Message.user("Hi")), true);
    assertThat(t.rendered()).isEqualTo("<|user|>\nHi</s>\n<|assistant|>\n");
    assertThat(t.assistantMask()).containsOnly(0);
    assertThat(t.completionMask()).containsOnly(0);
  }

  @Test
  void templateThatRewritesEarlierTurnsIsRefusedForDifferencing() {
    // Renders only the last message: the prefix rendering is not a prefix of the full one.
    ChatTemplate unstable = ChatTemplate.of("{{ messages[-1]['content'] }}");
    assertThatThrownBy(() -> ChatTokenizer.of(zephyr, unstable).applyChatTemplate(TWO_TURNS, false))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("generation");
  }

  @Test
  void doubleBosIsDetected() {
    ChatTokenizer chat = ChatTokenizer.of(headers);
    String rendered = chat.render(List.of(Message.user("Hi")), true);
    assertThat(rendered).startsWith("<|text_start|>");
    // The template already wrote bos_token; letting the post-processor add another doubles it.
    assertThatThrownBy(() -> chat.encodeText(rendered, true))
        .isInstanceOf(TokenizationException.class)
        .hasMessageContaining("BOS twice")
        .hasMessageContaining("<|text_start|>");
    int[] once = chat.encodeText(rendered, false);
    assertThat(once[0]).isEqualTo(HEADERS_BOS);
    assertThat(once[1]).isNotEqualTo(HEADERS_BOS);
    int[] twice = chat.withDoubleBosPolicy(ChatTokenizer.Policy.WARN).encodeText(rendered, true);
    assertThat(twice[0]).isEqualTo(HEADERS_BOS);
    assertThat(twice[1]).isEqualTo(HEADERS_BOS);
  }

  @Test
  void zephyrConversationalSplitKeepsTemplateEos() {
    ChatTokenizer chat = ChatTokenizer.of(zephyr).withTemplate(ChatTemplate.zephyr().withEmptySystemMessage(true));
    PromptCompletion pc = chat.splitPromptCompletion(
        List.of(Message.user("What is 2+2?")), List.of(Message.assistant("4")));
    assertThat(zephyr.decode(pc.promptIds(), false))
        .isEqualTo("<|system|>\n</s> \n<|user|>\nWhat is 2+2?</s> \n<|assistant|>\n");
    assertThat(zephyr.decode(pc.completionIds(), false)).isEqualTo("4</s> \n");
    assertThat(pc.eosAppended()).isFalse();
    assertThat(pc.inputIds()).containsExactly(zephyr.encode(
        "<|system|>\n</s>\n<|user|>\nWhat is 2+2?</s>\n<|assistant|>\n4</s>\n", false));
  }

  @Test
  void missingEosIsAppendedAndReported() {
    ChatTokenizer chat = ChatTokenizer.of(zephyr);
    int eos = zephyr.eosTokenId().getAsInt();
    PromptCompletion noEos = chat.splitPromptCompletionText("The sky is", " blue.", true);
    assertThat(noEos.eosAppended()).isTrue();
    assertThat(noEos.completionIds()[noEos.completionIds().length - 1]).isEqualTo(eos);
    assertThat(zephyr.decode(noEos.completionIds(), false)).isEqualTo("blue.</s>");
    assertThat(noEos.promptIds()[0]).isEqualTo(zephyr.bosTokenId().getAsInt());

    PromptCompletion withEos = chat.splitPromptCompletionText("The sky is", " blue.</s>", true);
    assertThat(withEos.eosAppended()).isFalse();
    assertThat(withEos.completionIds()).containsExactly(Arrays.copyOf(noEos.completionIds(),
        noEos.completionIds().length));

    // ChatML over the Zephyr tokenizer ends turns with <|im_end|>, which is not this tokenizer's EOS.
    ChatTokenizer chatml = ChatTokenizer.of(zephyr, ChatTemplate.chatml());
    PromptCompletion conv = chatml.splitPromptCompletion(List.of(Message.user("Hi")), List.of(Message.assistant("Yo")));
    assertThat(conv.eosAppended()).isTrue();
    PromptCompletion kept = chatml.withAppendEos(false)
        .splitPromptCompletion(List.of(Message.user("Hi")), List.of(Message.assistant("Yo")));
    assertThat(kept.eosAppended()).isFalse();
    assertThat(kept.completionIds()[kept.completionIds().length - 1]).isNotEqualTo(eos);
  }

  @Test
  void promptFormatterAndDetokenizerAdapters() {
    ChatTokenizer chat = ChatTokenizer.of(headers);
    int[] prompt = chat.formatPrompt(List.of(Message.user("Hi")));
    assertThat(prompt).containsExactly(headers.encode(
        "<|text_start|><|header_start|>user<|header_end|>\n\nHi<|turn_end|>"
            + "<|header_start|>assistant<|header_end|>\n\n", false));
    int[] generated = headers.encode("Hello there!<|turn_end|>", false);
    assertThat(headers.decodeText(generated)).isEqualTo("Hello there!");
  }

  @Test
  void longBoundaryMismatchShowsTheTokensAroundTheDifference() {
    // Byte-level BPE pre-tokenizers (Llama 3's, Qwen's) keep a prompt-final space apart from a following word only
    // when the prompt is tokenized alone.
    ChatTokenizer chat = ChatTokenizer.of(headers);
    String prompt = "one two three four five six seven eight nine ten eleven twelve ";
    assertThatThrownBy(() -> chat.splitPromptCompletionText(prompt, "answer", false))
        .isInstanceOf(TokenizationException.class)
        .hasMessageContaining("first difference at token 12")
        .hasMessageContaining("prompt: [... ")
        .hasMessageContaining("Ġanswer");
  }

  @Test
  void raiseExceptionCarriesTheTemplateMessage() {
    ChatTemplate strict = ChatTemplate.of("{% for m in messages %}"
        + "{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
        + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
        + "{% endif %}{{ m['content'] }}{% endfor %}");
    assertThat(strict.render(List.of(Message.user("a"), Message.assistant("b")), false)).isEqualTo("ab");
    assertThatThrownBy(() -> strict.render(List.of(Message.user("a"), Message.user("b")), false))
        .isInstanceOf(TemplateException.class)
        .hasMessage("Conversation roles must alternate user/assistant/user/assistant/...");
  }

  @Test
  void extraVariablesReachTheTemplate() {
    TokenizedChat t = ChatTokenizer.of(headers).applyChatTemplateMaps(
        ChatTemplate.toMaps(List.of(Message.user("x"))), false, Map.of("bos_token", "<|im_start|>"));
    assertThat(t.rendered()).isEqualTo("<|im_start|><|header_start|>user<|header_end|>\n\nx<|turn_end|>");
  }
}
