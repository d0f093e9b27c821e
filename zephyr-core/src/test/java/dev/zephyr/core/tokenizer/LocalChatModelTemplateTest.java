package dev.zephyr.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.GeneratedSequence;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.generate.LocalChatModel;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LocalChatModel formats conversations with the chat template through the ChatTokenizer/Tokenizer adapters. */
class LocalChatModelTemplateTest {
  @Test
  void chatMessagesAreFormattedWithTheTemplate(@TempDir Path dir) {
    try (Tokenizer tok = Tokenizer.load(TinyTokenizers.characterLevel(dir));
        NDManager manager = NDManager.newBaseManager()) {
      ChatTokenizer chat = ChatTokenizer.of(tok);
      List<Message> conversation = List.of(Message.user("Hi"));
      int[] prompt = chat.formatPrompt(conversation);
      // "<|user|>\nHi</s>\n<|assistant|>\n": one id per character, "</s>" one id.
      assertThat(prompt).hasSize("<|user|>\nHi".length() + 1 + "\n<|assistant|>\n".length());
      assertThat(tok.decode(prompt, false)).isEqualTo("<|user|>\nHi</s>\n<|assistant|>\n");
      LlamaModel model = LlamaModel.load(TestData.path("fixtures", "llama-gqa-f32"), manager);
      try (LocalChatModel local = new LocalChatModel("tiny", model, chat::formatPrompt, tok::decodeText, manager,
          true)) {
        SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(6).build();
        // what greedy decoding gives for exactly the template-formatted prompt, decoded by the tokenizer
        GeneratedSequence expected = new Generator(model, tok::decodeText, manager)
            .generate(List.of(new GenerationRequest(prompt, greedy))).get(0).first();
        ChatResponse r = local.complete(List.of(ChatRequest.of(conversation, greedy))).get(0);
        assertThat(r.text()).isEqualTo(expected.text());
        assertThat(r.completionTokens()).isEqualTo(expected.length());
        assertThat(r.promptTokens()).isEqualTo(prompt.length);
        assertThat(r.completionTokens()).isBetween(1, 6);
        assertThat(r.text()).doesNotContain("</s>");
      }
    }
  }
}
