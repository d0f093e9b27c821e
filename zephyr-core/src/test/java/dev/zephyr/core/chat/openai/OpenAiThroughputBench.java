package dev.zephyr.core.chat.openai;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.cache.CachedChatModel;
import dev.zephyr.core.chat.cache.ResponseStore;
import dev.zephyr.core.testing.FakeOpenAiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Throughput benchmark (a program, not a test): N requests against the loopback fake server answering after a fixed
 * latency, with a given concurrency; prints wall time and the ratio to the ideal {@code N / concurrency * latency}.
 *
 * <p>Arguments: {@code [requests=1000] [concurrency=64] [latencyMs=20]}. Runs once to warm up, then measures the plain
 * client and the client behind the durable cache (fsync per completed call, group commit).
 */
public final class OpenAiThroughputBench {
  private OpenAiThroughputBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int latency = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    padding = args.length > 3 ? "x".repeat(Integer.parseInt(args[3])) : "";
    double ideal = (double) n / concurrency * latency;
    try (FakeOpenAiServer server = FakeOpenAiServer.start().latencyMillis(latency).cannedAnswers();
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl()).modelName("bench")
            .maxConcurrency(concurrency).timeout(Duration.ofSeconds(30)).build()) {
      measure("warm-up", model, requests(n, "warm"), ideal);
      measure("warm-up", model, requests(n, "warm2"), ideal);
      server.resetCounts();
      measure("plain", model, requests(n, "plain"), ideal);
      System.out.printf("server saw at most %d requests in flight%n", server.maxInFlight());
      Path dir = Files.createTempDirectory("zephyr-bench");
      try (ResponseStore store = ResponseStore.open(dir.resolve("cache.jsonl"))) {
        CachedChatModel cached = new CachedChatModel(model, store);
        measure("cached (fsync each)", cached, requests(n, "cached"), ideal);
        measure("cache hits", cached, requests(n, "cached"), ideal);
      }
    }
  }

  private static String padding = "";

  private static List<ChatRequest> requests(int n, String tag) {
    List<ChatRequest> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(ChatRequest.of(List.of(Message.user(tag + " request " + i + padding)),
          SamplingParams.builder().seed((long) i).maxTokens(32).build()));
    }
    return out;
  }

  private static void measure(String label, ChatModel model, List<ChatRequest> requests, double idealMs) {
    long t0 = System.nanoTime();
    List<ChatResponse> out = model.complete(requests);
    double ms = (System.nanoTime() - t0) / 1e6;
    if (out.size() != requests.size()) {
      throw new IllegalStateException("lost responses");
    }
    System.out.printf("%-20s %5d requests in %7.1f ms; ideal %6.1f ms; ratio %.2fx%n", label, requests.size(), ms,
        idealMs, ms / idealMs);
  }
}
