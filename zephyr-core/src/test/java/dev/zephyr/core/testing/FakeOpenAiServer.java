package dev.zephyr.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.cache.CacheKey;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * An OpenAI-compatible chat-completions server on loopback for tests: real sockets, our own code, scripted faults.
 *
 * <p>Every request is identified by the same {@link CacheKey} the client-side cache uses (recomputed from the JSON the
 * server received), so tests can count per call how often it was asked and how often it was answered.
 */
public final class FakeOpenAiServer implements AutoCloseable {

  /** What the server does with one attempt. */
  public enum Fault {
    NONE,
    /** 429 with {@code Retry-After}. */
    RATE_LIMIT,
    /** 500 with a JSON error. */
    SERVER_ERROR,
    /** Sleeps {@link #slowMillis} before answering (past the client's timeout). */
    SLOW,
    /** 200 with a body that is not JSON. */
    MALFORMED,
    /** 200 announcing more bytes than it sends, then the connection closes. */
    TRUNCATED,
    /** 400: a request that can never succeed. */
    BAD_REQUEST,
    /** 401 whose error message quotes the key it was sent, as OpenAI's "Incorrect API key provided" does. */
    BAD_KEY
  }

  /** One request as the server saw it. */
  public record Seen(String key, int attempt, Fault fault, String authorization, long nanoTime) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> answered = new ConcurrentHashMap<>();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private volatile BiFunction<String, Integer, Fault> faults = (key, attempt) -> Fault.NONE;
  private volatile BiFunction<String, ChatRequest, String> responder = FakeOpenAiServer::defaultReply;
  private volatile long latencyMillis;
  private volatile long slowMillis = 2_000;
  private volatile String retryAfter = "1";
  private volatile byte[] cannedAnswer;

  private FakeOpenAiServer(int threads) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
    executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "fake-openai");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a server on a free loopback port with enough handler threads for the benchmark's concurrency. */
  public static FakeOpenAiServer start() {
    try {
      return new FakeOpenAiServer(160);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start fake server", e);
    }
  }

  /** {@code http://127.0.0.1:PORT/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  /** Decides the fault of each attempt from (cache key, 0-based attempt number for that key). */
  public FakeOpenAiServer faults(BiFunction<String, Integer, Fault> plan) {
    this.faults = plan;
    return this;
  }

  /** Computes the assistant text from (model field, request). */
  public FakeOpenAiServer responder(BiFunction<String, ChatRequest, String> responder) {
    this.responder = responder;
    return this;
  }

  /** Delay before every normal answer. */
  public FakeOpenAiServer latencyMillis(long millis) {
    this.latencyMillis = millis;
    return this;
  }

  /** How long a {@link Fault#SLOW} attempt sleeps. */
  public FakeOpenAiServer slowMillis(long millis) {
    this.slowMillis = millis;
    return this;
  }

  /** The {@code Retry-After} value sent with 429s. */
  public FakeOpenAiServer retryAfter(String value) {
    this.retryAfter = value;
    return this;
  }

  /**
   * Benchmark mode: read each request body and answer with one fixed completion after the latency, without parsing,
   * keys, faults or counts, so the server (a remote machine in real life) spends as little of the shared CPU as it can.
   */
  public FakeOpenAiServer cannedAnswers() {
    this.cannedAnswer = answer("bench", new ChatRequest(List.of(Message.user("x")), SamplingParams.defaults()))
        .getBytes(StandardCharsets.UTF_8);
    return this;
  }

  /** Attempts per key (every request, faulty or not). */
  public Map<String, Integer> attemptsByKey() {
    Map<String, Integer> m = new ConcurrentHashMap<>();
    attempts.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  /** Successful (200, well-formed) answers per key. */
  public Map<String, Integer> answeredByKey() {
    Map<String, Integer> m = new ConcurrentHashMap<>();
    answered.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  /** Keys answered successfully at least once. */
  public Set<String> answeredKeys() {
    return Set.copyOf(answered.keySet());
  }

  /** Every request in arrival order. */
  public List<Seen> seen() {
    return new ArrayList<>(seen);
  }

  /** Total requests. */
  /** Every request body as received (UTF-8 text), in arrival order; not kept in {@link #cannedAnswers} mode. */
  public List<String> bodies() {
    return List.copyOf(bodies);
  }

  public int requestCount() {
    return seen.size();
  }

  /** Most requests handled at the same time. */
  public int maxInFlight() {
    return maxInFlight.get();
  }

  /** Forgets counts (between phases of a test). */
  public void resetCounts() {
    attempts.clear();
    answered.clear();
    seen.clear();
    bodies.clear();
    maxInFlight.set(0);
  }

  /** Default text: names model, seed and the last user message so distinct calls get distinct answers. */
  public static String defaultReply(String model, ChatRequest request) {
    Message last = request.messages().get(request.messages().size() - 1);
    return "Answer from " + model + " (seed " + request.params().seed() + "): " + last.content();
  }

  /**
   * A judge-or-teacher responder: requests to a model whose name contains "judge" get a short verdict ending in
   * {@code Rating: [[N]]}, N in 1..10 derived from the judged text (so scores differ and are reproducible); others get
   * {@link #defaultReply}.
   */
  public static String ratingOrAnswer(String model, ChatRequest request) {
    if (!model.contains("judge")) {
      return defaultReply(model, request);
    }
    String judged = request.messages().get(request.messages().size() - 1).content();
    return "The answer is adequate.\nRating: [[" + expectedRating(judged) + "]]";
  }

  /** The rating {@link #ratingOrAnswer} gives a judge prompt. */
  public static int expectedRating(String judgePrompt) {
    return 1 + Math.floorMod(judgePrompt.hashCode(), 10);
  }

  /** Rebuilds the request our client sent, so the server can compute the client's cache key. */
  public static ChatRequest parseRequest(JsonNode body) {
    List<Message> messages = new ArrayList<>();
    for (JsonNode m : body.path("messages")) {
      messages.add(new Message(Role.of(m.path("role").asText()), m.path("content").asText()));
    }
    List<String> stop = new ArrayList<>();
    body.path("stop").forEach(s -> stop.add(s.asText()));
    SamplingParams params = SamplingParams.builder()
        .temperature(body.path("temperature").asDouble(1.0))
        .topP(body.path("top_p").asDouble(1.0))
        .topK(body.path("top_k").asInt(0))
        .repetitionPenalty(body.path("repetition_penalty").asDouble(1.0))
        .presencePenalty(body.path("presence_penalty").asDouble(0))
        .frequencyPenalty(body.path("frequency_penalty").asDouble(0))
        .maxTokens(body.path("max_tokens").asInt(256))
        .n(body.path("n").asInt(1))
        .seed(body.hasNonNull("seed") ? body.get("seed").asLong() : null)
        .stop(stop)
        .logprobs(body.path("logprobs").asBoolean(false))
        .topLogprobs(body.path("top_logprobs").asInt(0))
        .build();
    return new ChatRequest(messages, params);
  }

  private void handle(HttpExchange ex) throws IOException {
    byte[] canned = cannedAnswer;
    if (canned != null) {
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      ex.getRequestBody().readAllBytes();
      sleep(latencyMillis);
      inFlight.decrementAndGet();
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, canned.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(canned);
      }
      ex.close();
      return;
    }
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    boolean counted = true;
    try {
      String bodyText = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      bodies.add(bodyText);
      JsonNode body = Json.mapper().readTree(bodyText);
      String model = body.path("model").asText();
      ChatRequest request = parseRequest(body);
      String key = CacheKey.of(model, request);
      int attempt = attempts.computeIfAbsent(key, k -> new AtomicInteger()).getAndIncrement();
      Fault fault = faults.apply(key, attempt);
      seen.add(new Seen(key, attempt, fault, ex.getRequestHeaders().getFirst("Authorization"), System.nanoTime()));
      switch (fault) {
        case RATE_LIMIT -> {
          ex.getResponseHeaders().add("Retry-After", retryAfter);
          send(ex, 429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit\"}}");
        }
        case SERVER_ERROR -> send(ex, 500, "{\"error\":{\"message\":\"internal error\"}}");
        case BAD_REQUEST -> send(ex, 400, "{\"error\":{\"message\":\"max_tokens is too large\"}}");
        case BAD_KEY -> {
          String sent = String.valueOf(ex.getRequestHeaders().getFirst("Authorization")).replaceFirst("^Bearer ", "");
          ObjectNode error = Json.mapper().createObjectNode();
          error.putObject("error").put("message", "Incorrect API key provided: " + sent);
          send(ex, 401, error.toString());
        }
        case SLOW -> {
          sleep(slowMillis);
          send(ex, 200, answer(model, request));
        }
        case MALFORMED -> send(ex, 200, "{\"id\": \"x\", \"choices\": [{\"message\": <html>oops</html>");
        case TRUNCATED -> {
          byte[] full = answer(model, request).getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, full.length);
          OutputStream out = ex.getResponseBody();
          out.write(full, 0, full.length / 2);
          out.flush();
          // closing before the announced length leaves the client with a short body
          closeAbruptly(ex);
        }
        case NONE -> {
          if (latencyMillis > 0) {
            sleep(latencyMillis);
          }
          String text = answer(model, request);
          // leave the in-flight count before the client can see the answer and send its next request
          inFlight.decrementAndGet();
          counted = false;
          // counted before sending, so a client that has its answer never sees a stale count
          answered.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
          send(ex, 200, text);
        }
        default -> throw new IllegalStateException(fault.toString());
      }
    } catch (IOException e) {
      // the client went away (timeouts): nothing to answer
    } finally {
      if (counted) {
        inFlight.decrementAndGet();
      }
      ex.close();
    }
  }

  private static void closeAbruptly(HttpExchange ex) {
    try {
      ex.getRequestBody().close();
      ex.getResponseBody().close();
    } catch (IOException expected) {
      // "insufficient bytes written": the server drops the connection, which is the point
    }
  }

  private String answer(String model, ChatRequest request) {
    ObjectNode root = Json.mapper().createObjectNode();
    root.put("id", "chatcmpl-fake");
    root.put("object", "chat.completion");
    root.put("model", model);
    var choices = root.putArray("choices");
    int n = request.params().n();
    for (int i = 0; i < n; i++) {
      ObjectNode choice = choices.addObject();
      choice.put("index", i);
      String text = responder.apply(model, request) + (n > 1 ? " #" + i : "");
      choice.putObject("message").put("role", "assistant").put("content", text);
      choice.put("finish_reason", "stop");
      if (request.params().logprobs()) {
        var content = choice.putObject("logprobs").putArray("content");
        ObjectNode tok = content.addObject().put("token", "Ans").put("logprob", -0.25);
        var top = tok.putArray("top_logprobs");
        for (int k = 0; k < request.params().topLogprobs(); k++) {
          top.addObject().put("token", k == 0 ? "Ans" : "alt" + k).put("logprob", -0.25 - k);
        }
      }
    }
    root.putObject("usage").put("prompt_tokens", 11).put("completion_tokens", 7 * n).put("total_tokens", 11 + 7 * n);
    return root.toString();
  }

  private static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
