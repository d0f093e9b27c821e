package dev.zephyr.core.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.ProviderStoppedException;
import dev.zephyr.core.io.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FailureLogTest {
  @TempDir Path dir;

  /** Answers "ok:TEXT", fails requests whose text starts with "fail", and refuses ones starting with "stop". */
  private static final ChatModel MODEL = new ChatModel() {
    @Override
    public String name() {
      return "m";
    }

    @Override
    public List<ChatResponse> complete(List<ChatRequest> requests) {
      List<ChatResponse> out = new ArrayList<>();
      for (ChatRequest r : requests) {
        String text = r.messages().get(0).content();
        if (text.startsWith("fail")) {
          throw new ProviderException("m", 500, true, "server error at http://x/v1/chat/completions");
        }
        if (text.startsWith("stop")) {
          throw new ProviderStoppedException(3, new ProviderException("m", 401, false, "authentication failed"));
        }
        out.add(new ChatResponse("m", List.of(new Completion("ok:" + text, FinishReason.STOP, 1)), 1));
      }
      return out;
    }
  };

  @Test
  void recordsFailedCallsApartAndTellsThemFromUnsentOnes() throws Exception {
    Files.writeString(dir.resolve("failures.jsonl"), "{\"item\": \"from an earlier run\"}\n");
    List<ChatRequest> batch = List.of(ChatRequest.user("a"), ChatRequest.user("fail-b"), ChatRequest.user("stop-c"));
    FailureLog.Answers answers;
    try (FailureLog log = FailureLog.inDirectory(dir)) {
      assertThat(dir.resolve("failures.jsonl")).as("an earlier run's failures are not this run's").doesNotExist();
      answers = log.answer(MODEL, batch, i -> "item-" + i, "answer");
      assertThat(log.failures()).isEqualTo(1);
      assertThat(log.failed("item-1")).isTrue();
      assertThat(log.failed("item-2")).isFalse();
      assertThat(log.stopped()).isTrue();
      assertThat(log.stopReason()).contains("3 calls in a row failed with the same status, so no more are sent").contains("HTTP 401");
    }
    assertThat(answers.get(0).text()).isEqualTo("ok:a");
    assertThat(answers.get(1)).isNull();
    assertThat(answers.failed(1)).isTrue();
    assertThat(answers.get(2)).isNull();
    assertThat(answers.failed(2)).as("never sent: pending, not failed").isFalse();
    assertThat(answers.allAnswered()).isFalse();
    List<FailureLog.Entry> lines = Jsonl.readAll(dir.resolve("failures.jsonl"), FailureLog.Entry.class);
    assertThat(lines).containsExactly(new FailureLog.Entry("item-1", "answer", "m", 500, true,
        "m: server error at http://x/v1/chat/completions (HTTP 500) [retryable]"));
  }

  @Test
  void aRunWithoutFailuresLeavesNoFileAndFilesBesideOutputsAreNotJsonl() {
    try (FailureLog log = FailureLog.besideFile(dir.resolve("model_answer").resolve("m.jsonl"))) {
      assertThat(log.answer(MODEL, List.of(ChatRequest.user("a")), i -> "x", "answer").allAnswered()).isTrue();
      assertThat(log.file()).isEqualTo(dir.resolve("model_answer").resolve("m.jsonl.failures"));
      assertThat(log.file()).doesNotExist();
    }
    try (FailureLog memory = FailureLog.inMemory()) {
      memory.answer(MODEL, List.of(ChatRequest.user("fail")), i -> "x", "answer");
      assertThat(memory.failures()).isEqualTo(1);
      assertThat(memory.file()).isNull();
    }
  }

  @Test
  void workCountsSayWhetherAJobIsComplete() {
    WorkCounts c = WorkCounts.of("prompts", 10, 7, 1);
    assertThat(c.pending()).isEqualTo(2);
    assertThat(c.complete()).isFalse();
    assertThat(c.line()).isEqualTo("prompts: 7 done, 1 failed, 2 pending");
    assertThat(WorkCounts.of("prompts", 3, 3, 0).complete()).isTrue();
    assertThatThrownBy(() -> WorkCounts.of("prompts", 3, 3, 1)).hasMessageContaining("exceed 3");
  }
}
