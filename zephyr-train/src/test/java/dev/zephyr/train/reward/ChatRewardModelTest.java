package dev.zephyr.train.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.TinyModels;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatRewardModelTest {
  @Test
  void scoresConversationsTheSameAloneAndInAPaddedBatch() {
    try (NDManager m = NDManager.newBaseManager();
        Tokenizer tok = Tokenizer.load(TestData.path("tokenizers", "zephyr"))) {
      LlamaModel decoder = LlamaModel.random(TinyModels.config(32000), 3, 0.2, m);
      RewardModel rm = RewardModel.withNewHead(decoder, 1.0, 2);
      ChatRewardModel scorer = new ChatRewardModel(rm, ChatTokenizer.of(tok), 4, 512);
      List<List<Message>> convs = List.of(
          List.of(Message.user("What is 2+2?"), Message.assistant("4")),
          List.of(Message.user("What is 2+2?"), Message.assistant("It is four, since two plus two makes four.")),
          List.of(Message.user("Hi"), Message.assistant("Hello!")));
      double[] batch = scorer.score(convs);
      assertThat(batch).hasSize(3);
      for (int i = 0; i < convs.size(); i++) {
        double alone = scorer.score(List.of(convs.get(i)))[0];
        assertThat(batch[i]).as("conversation %d", i).isCloseTo(alone, within(1e-4));
      }
      assertThat(batch[0]).isNotCloseTo(batch[1], within(1e-6));
    }
  }
}
