package dev.zephyr.core.chat.cache;

import dev.zephyr.core.chat.limits.RetryingChatModel;
import dev.zephyr.core.chat.limits.RetryPolicy;
import dev.zephyr.core.chat.ChatModel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.openai.OpenAiChatModel;
import dev.zephyr.core.testing.FakeOpenAiServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachedChatModelTest {
  private static final String SECRET = "sk-cache-SECRET-99";

  @TempDir Path dir;

  private static ChatModel model(FakeOpenAiServer server) {
    return new RetryingChatModel(OpenAiChatModel.builder().baseUrl(server.baseUrl()).modelName("judge")
        .apiKeyEnv("K").environment(Map.of("K", SECRET)::get).timeout(Duration.ofSeconds(5)).build(),
        RetryPolicy.retries(2).withInitialBackoff(Duration.ofMillis(5)));
  }

  private static List<ChatRequest> requests(int count) {
    List<ChatRequest> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(ChatRequest.of(List.of(Message.user("q" + i)),
          SamplingParams.builder().seed((long) i).logprobs(true).topLogprobs(2).build()));
    }
    return out;
  }

  @Test
  void secondRunIsServedFromDiskAndKeyNeverReachesTheFile() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    List<ChatResponse> first;
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      try (ResponseStore store = ResponseStore.open(file);
          CachedChatModel m = new CachedChatModel(model(server), store)) {
        first = m.complete(requests(5));
        assertThat(m.misses()).isEqualTo(5);
      }
      assertThat(server.requestCount()).isEqualTo(5);
      try (ResponseStore store = ResponseStore.open(file);
          CachedChatModel m = new CachedChatModel(model(server), store)) {
        List<ChatResponse> again = m.complete(requests(6));
        // whole responses, logprobs and their alternatives included, survive the round trip through the file
        assertThat(again.subList(0, 5)).isEqualTo(first);
        assertThat(again.get(0).first().logprobs().get(0).topLogprobs()).hasSize(2);
        assertThat(m.hits()).isEqualTo(5);
        assertThat(m.misses()).isEqualTo(1);
      }
      assertThat(server.requestCount()).isEqualTo(6);
    }
    String content = Files.readString(file);
    assertThat(content.lines()).hasSize(6);
    assertThat(content).doesNotContain(SECRET);
  }

  @Test
  void distinctSeedsAndParametersAreDistinctKeys() {
    ChatRequest a = requests(1).get(0);
    ChatRequest b = ChatRequest.of(a.messages(), a.params().toBuilder().seed(1L).build());
    ChatRequest c = ChatRequest.of(a.messages(), a.params().toBuilder().n(2).build());
    assertThat(CacheKey.of("m", a)).isNotEqualTo(CacheKey.of("m", b)).isNotEqualTo(CacheKey.of("m", c))
        .isNotEqualTo(CacheKey.of("other", a)).isEqualTo(CacheKey.of("m", requests(1).get(0)));
    assertThat(CacheKey.of("m", a)).hasSize(64);
  }

  @Test
  void defaultPenaltiesKeepTodaysKeysAndEveryPenaltyChangesTheKey() {
    ChatRequest a = ChatRequest.of(List.of(Message.system("be brief"), Message.user("hi")),
        SamplingParams.builder().temperature(0.7).topP(0.9).maxTokens(64).seed(3L).stop(List.of("\n\n")).build());
    // golden from before the penalties existed: caches written then stay valid
    assertThat(CacheKey.canonical("m", a)).isEqualTo("{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
        + "\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hi\"}],\"params\":{\"temperature\":0.7,"
        + "\"top_p\":0.9,\"top_k\":0,\"repetition_penalty\":1.0,\"max_tokens\":64,\"n\":1,\"seed\":3,"
        + "\"stop\":[\"\\n\\n\"],\"stop_token_ids\":[],\"logprobs\":false,\"top_logprobs\":0}}");
    assertThat(CacheKey.of("m", a)).isEqualTo("862b0bbc13a1b2533e73a500e492c5dc13b2d7b06cffca587131c8bb8121a703");
    // explicit neutral values are the same request
    ChatRequest neutral = ChatRequest.of(a.messages(), a.params().toBuilder().presencePenalty(0).frequencyPenalty(0)
        .repetitionPenalty(1.0).build());
    assertThat(CacheKey.of("m", neutral)).isEqualTo(CacheKey.of("m", a));
    ChatRequest presence = ChatRequest.of(a.messages(), a.params().toBuilder().presencePenalty(2).build());
    ChatRequest presenceOther = ChatRequest.of(a.messages(), a.params().toBuilder().presencePenalty(1.5).build());
    ChatRequest frequency = ChatRequest.of(a.messages(), a.params().toBuilder().frequencyPenalty(2).build());
    ChatRequest repetition = ChatRequest.of(a.messages(), a.params().toBuilder().repetitionPenalty(1.1).build());
    assertThat(List.of(a, presence, presenceOther, frequency, repetition)).extracting(r -> CacheKey.of("m", r))
        .doesNotHaveDuplicates();
    assertThat(CacheKey.canonical("m", presence)).contains("\"repetition_penalty\":1.0,\"presence_penalty\":2.0,")
        .doesNotContain("frequency_penalty");
    assertThat(CacheKey.canonical("m", frequency)).contains("\"frequency_penalty\":2.0,")
        .doesNotContain("presence_penalty");
  }

  @Test
  void tornLastLineIsDroppedAndTheStoreKeepsWorking() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      try (ResponseStore store = ResponseStore.open(file);
          CachedChatModel m = new CachedChatModel(model(server), store)) {
        m.complete(requests(3));
      }
      // a crash in the middle of an append leaves half a line
      Files.writeString(file, "{\"key\":\"abc\",\"model\":\"judge\",\"resp", StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
      try (ResponseStore store = ResponseStore.open(file);
          CachedChatModel m = new CachedChatModel(model(server), store)) {
        assertThat(store.tornLinesDropped()).isEqualTo(1);
        assertThat(store.size()).isEqualTo(3);
        m.complete(requests(4));
        assertThat(m.misses()).isEqualTo(1);
      }
      try (ResponseStore store = ResponseStore.open(file)) {
        assertThat(store.tornLinesDropped()).isZero();
        assertThat(store.size()).isEqualTo(4);
      }
    }
    assertThat(Files.readAllLines(file)).hasSize(4);
  }

  @Test
  void corruptLineInTheMiddleIsAnErrorNamingTheLine() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    Files.writeString(file, "not json\n{\"key\":\"k\"}\n");
    assertThatThrownBy(() -> ResponseStore.open(file))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("cache.jsonl:1");
  }

  @Test
  void aSecondStoreOnTheSameFileIsRefused() {
    Path file = dir.resolve("cache.jsonl");
    try (ResponseStore store = ResponseStore.open(file)) {
      assertThatThrownBy(() -> ResponseStore.open(file)).hasMessageContaining("in use");
    }
  }
}
