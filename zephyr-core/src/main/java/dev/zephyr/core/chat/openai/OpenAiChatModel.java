package dev.zephyr.core.chat.openai;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.ProviderStoppedException;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A {@link ChatModel} served by one or more OpenAI-compatible chat-completions endpoints (vLLM, llama.cpp server,
 * Ollama, OpenAI), built the way LangChain4j users expect:
 *
 * <pre>{@code
 * ChatModel teacher = OpenAiChatModel.builder()
 *     .baseUrl("http://127.0.0.1:8000/v1")
 *     .modelName("zephyr-7b-beta")
 *     .apiKeyEnv("VLLM_API_KEY")          // the NAME of the variable; the key itself never enters a config
 *     .timeout(Duration.ofSeconds(60))
 *     .maxConcurrency(64)
 *     .build();
 * ChatModel withRetries = new RetryingChatModel(teacher, RetryPolicy.retries(6));
 * }</pre>
 *
 * <p>Several base URLs serve one model for scale-out: calls go round-robin, and each endpoint has its own concurrency
 * limit. A batched {@link #complete(List)} runs up to the sum of those limits concurrently. Each request is sent once:
 * retries, a request rate and a total concurrency limit are decorators in {@code dev.zephyr.core.chat.limits}
 * ({@link dev.zephyr.core.chat.endpoint.EndpointSpec#open()} stacks them from a config). Failures are
 * {@link ProviderException}s that say whether retrying could help (429, 408, 5xx, timeouts, connection failures,
 * malformed or truncated bodies) and carry the server's {@code Retry-After}; other 4xx cannot succeed later. After {@value #DEFAULT_STOP_AFTER_IDENTICAL_FAILURES} calls in a row
 * failed with the same 401, 403 or 404 (a wrong key, a forbidden or unknown model) the model stops: later calls fail at
 * once with {@link dev.zephyr.core.chat.ProviderStoppedException} without being sent. The API key is sent only in the
 * {@code Authorization} header and is redacted from every message this class produces.
 */
public final class OpenAiChatModel implements ChatModel {
  private static final int BODY_SNIPPET = 300;

  private final String name;
  private final String modelName;
  private final List<Endpoint> endpoints;
  /**
   * The most requests in flight per endpoint: more would only queue on the server and hold a thread and a socket
   * each here.
   */
  public static final int MAX_CONCURRENCY = 1024;
  /** Calls in a row failing with the same 401, 403 or 404 after which a model stops sending (see the builder). */
  public static final int DEFAULT_STOP_AFTER_IDENTICAL_FAILURES = 3;

  private final String apiKey;
  private final KeyRedactor redactor;
  private final Duration timeout;
  private final Map<String, String> customHeaders;
  private final FailureStreak streak;
  private final HttpClient http;
  private final ExecutorService workers;
  private final AtomicInteger roundRobin = new AtomicInteger();

  private OpenAiChatModel(Builder b) {
    if (b.baseUrls.isEmpty()) {
      throw new IllegalArgumentException("an OpenAI-compatible model needs at least one baseUrl");
    }
    if (b.modelName == null || b.modelName.isBlank()) {
      throw new IllegalArgumentException("modelName is required");
    }
    this.modelName = b.modelName;
    this.name = b.name != null ? b.name : b.modelName;
    int concurrency = b.maxConcurrency != null ? b.maxConcurrency : 16;
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new IllegalArgumentException("maxConcurrency must be in [1, " + MAX_CONCURRENCY + "], got " + concurrency);
    }
    List<Endpoint> eps = new ArrayList<>();
    for (String url : b.baseUrls) {
      eps.add(new Endpoint(chatCompletionsUri(url), new Semaphore(concurrency, true)));
    }
    this.endpoints = List.copyOf(eps);
    if (b.apiKeyEnv != null && !b.apiKeyEnv.isBlank()) {
      String key = b.environment.apply(b.apiKeyEnv);
      if (key == null || key.isBlank()) {
        throw new IllegalArgumentException("environment variable " + b.apiKeyEnv + " (api_key_env of " + name
            + ") is not set");
      }
      this.apiKey = key.trim();
    } else {
      this.apiKey = null;
    }
    this.redactor = apiKey == null ? null : new KeyRedactor(apiKey);
    this.timeout = b.timeout != null ? b.timeout : Duration.ofSeconds(60);
    this.customHeaders = Map.copyOf(b.customHeaders);
    this.streak = new FailureStreak(b.stopAfterIdenticalFailures != null
        ? b.stopAfterIdenticalFailures : DEFAULT_STOP_AFTER_IDENTICAL_FAILURES);
    this.http = HttpClient.newBuilder()
        .connectTimeout(timeout)
        .version(HttpClient.Version.HTTP_1_1)
        .build();
    AtomicInteger threadNo = new AtomicInteger();
    // twice the permits: a worker that is handing a result to a slow handler (a cache fsync) holds no permit, and the spare workers keep every permit busy meanwhile
    this.workers = Executors.newFixedThreadPool(2 * concurrency * endpoints.size(), r -> {
      Thread t = new Thread(r, "openai-" + name + "-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public static Builder builder() {
    return new Builder();
  }

  private static URI chatCompletionsUri(String baseUrl) {
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    try {
      return URI.create(base + "/chat/completions");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a valid base URL: " + baseUrl, e);
    }
  }

  @Override
  public String name() {
    return name;
  }

  /** The model name sent in the {@code model} field. */
  public String modelName() {
    return modelName;
  }

  /** The endpoint's model name: every client of one served model shares cached calls. */
  @Override
  public String cacheKeyModel() {
    return modelName;
  }

  @Override
  public List<ChatResponse> complete(List<ChatRequest> requests) {
    return ChatModel.completeViaEach(this, requests);
  }

  @Override
  public void completeEach(List<ChatRequest> requests, ResultHandler handler) {
    if (requests.size() == 1) {
      deliver(0, requests.get(0), handler);
      return;
    }
    CountDownLatch done = new CountDownLatch(requests.size());
    RuntimeException[] unexpected = new RuntimeException[1];
    for (int i = 0; i < requests.size(); i++) {
      int index = i;
      workers.execute(() -> {
        try {
          deliver(index, requests.get(index), handler);
        } catch (RuntimeException e) {
          synchronized (unexpected) {
            unexpected[0] = e;
          }
        } finally {
          done.countDown();
        }
      });
    }
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProviderException(name, 0, true, "interrupted while waiting for responses", e);
    }
    if (unexpected[0] != null) {
      throw unexpected[0];
    }
  }

  private void deliver(int index, ChatRequest request, ResultHandler handler) {
    ChatResponse response;
    try {
      response = call(request);
    } catch (ProviderException e) {
      handler.onResult(index, null, e);
      return;
    }
    handler.onResult(index, response, null);
  }

  /** One request, sent once; refused without sending once the model has stopped. */
  private ChatResponse call(ChatRequest request) {
    byte[] body;
    try {
      body = Json.mapper().writeValueAsBytes(OpenAiWire.requestBody(modelName, request));
    } catch (IOException e) {
      throw new ProviderException(name, 0, false, "cannot serialise request", e);
    }
    Attempt result = attempt(body);
    if (result.response != null) {
      return result.response;
    }
    throw result.failure;
  }

  private record Attempt(ChatResponse response, ProviderException failure) {}

  /**
   * One attempt. The failure streak is checked and fed while the endpoint permit is held, so that with one request in
   * flight no call is sent after the one that completed a streak.
   */
  private Attempt attempt(byte[] body) {
    Endpoint endpoint = acquireEndpoint();
    try {
      ProviderStoppedException stopped = streak.stopped();
      if (stopped != null) {
        return new Attempt(null, stopped);
      }
      Attempt result = send(endpoint, body);
      if (result.failure != null) {
        streak.failure(result.failure);
      } else {
        streak.success();
      }
      return result;
    } finally {
      endpoint.permits.release();
    }
  }

  private Attempt send(Endpoint endpoint, byte[] body) {
    HttpRequest.Builder rb = HttpRequest.newBuilder(endpoint.uri)
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    customHeaders.forEach(rb::header);
    if (apiKey != null) {
      rb.header("Authorization", "Bearer " + apiKey);
    }
    HttpResponse<String> response;
    // the request timeout of java.net.http stops at the headers; a body that stalls half way needs this bound
    CompletableFuture<HttpResponse<String>> pending =
        http.sendAsync(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    try {
      response = pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      pending.cancel(true);
      return failed(0, true, "timed out after " + timeout.toMillis() + " ms at " + endpoint.uri, e, 0);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof HttpTimeoutException) {
        return failed(0, true, "timed out after " + timeout.toMillis() + " ms at " + endpoint.uri, cause, 0);
      }
      return failed(0, true, "I/O error at " + endpoint.uri + ": " + cause, cause, 0);
    } catch (InterruptedException e) {
      pending.cancel(true);
      Thread.currentThread().interrupt();
      return failed(0, false, "interrupted", e, 0);
    }
    int status = response.statusCode();
    if (status == 200) {
      try {
        // a server that echoes the key must not get it into caches and completion files
        return new Attempt(OpenAiWire.parseResponse(modelName, redact(response.body())), null);
      } catch (OpenAiWire.MalformedBodyException e) {
        return failed(status, true, e.getMessage() + " from " + endpoint.uri, null, 0);
      }
    }
    String snippet = snippet(response.body());
    long retryAfter = retryAfterMillis(response);
    return switch (status) {
      case 401, 403 -> failed(status, false, "authentication failed at " + endpoint.uri
          + " (check the variable named by api_key_env): " + snippet, null, 0);
      case 404 -> failed(status, false, "model or endpoint not found at " + endpoint.uri + ": " + snippet, null, 0);
      case 408, 409, 425, 429 -> failed(status, true, (status == 429 ? "rate limited" : "temporary refusal")
          + " at " + endpoint.uri + ": " + snippet, null, retryAfter);
      default -> status >= 500
          ? failed(status, true, "server error at " + endpoint.uri + ": " + snippet, null, retryAfter)
          : failed(status, false, "invalid request at " + endpoint.uri + ": " + snippet, null, 0);
    };
  }

  private Attempt failed(int status, boolean retryable, String message, Throwable cause, long retryAfterMillis) {
    return new Attempt(null, new ProviderException(name, status, retryable, redact(message),
        cause == null ? null : new IOException(redact(String.valueOf(cause.getMessage()))), retryAfterMillis));
  }

  /** Picks the next endpoint in round-robin order that has a free slot, or waits for the round-robin one. */
  private Endpoint acquireEndpoint() {
    int start = Math.floorMod(roundRobin.getAndIncrement(), endpoints.size());
    for (int k = 0; k < endpoints.size(); k++) {
      Endpoint e = endpoints.get((start + k) % endpoints.size());
      if (e.permits.tryAcquire()) {
        return e;
      }
    }
    Endpoint e = endpoints.get(start);
    e.permits.acquireUninterruptibly();
    return e;
  }

  private String snippet(String body) {
    String s = body == null ? "" : body.strip();
    return s.length() > BODY_SNIPPET ? s.substring(0, BODY_SNIPPET) + "..." : s;
  }

  /** Removes the API key, and any piece of it, from anything that may reach a log, an exception or a file. */
  String redact(String text) {
    return redactor == null ? text : redactor.apply(text);
  }

  /** Retry-After in delta-seconds (fractions accepted); an HTTP date or garbage counts as absent. */
  static long retryAfterMillis(HttpResponse<?> response) {
    return response.headers().firstValue("Retry-After").map(v -> {
      try {
        double seconds = Double.parseDouble(v.trim());
        return seconds > 0 ? (long) Math.ceil(seconds * 1000) : 0L;
      } catch (NumberFormatException e) {
        return 0L;
      }
    }).orElse(0L);
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }

  @Override
  public String toString() {
    return "OpenAiChatModel[" + name + ", model=" + modelName + ", endpoints=" + endpoints.size() + "]";
  }

  private record Endpoint(URI uri, Semaphore permits) {}

  /**
   * Builder in LangChain4j style: setters named after the property, boxed values, {@code null} means the default.
   * Defaults: timeout 60 s (connect and whole request), 16 concurrent requests per endpoint, stop after 3 identical
   * endpoint-level failures in a row.
   */
  public static final class Builder {
    private final List<String> baseUrls = new ArrayList<>();
    private String name;
    private String modelName;
    private String apiKeyEnv;
    private Function<String, String> environment = System::getenv;
    private Duration timeout;
    private Integer maxConcurrency;
    private Integer stopAfterIdenticalFailures;
    private final Map<String, String> customHeaders = new LinkedHashMap<>();

    private Builder() {}

    /** Adds one endpoint, e.g. {@code http://127.0.0.1:8000/v1}; call again (or use {@link #baseUrls}) to add more. */
    public Builder baseUrl(String baseUrl) {
      baseUrls.add(Objects.requireNonNull(baseUrl, "baseUrl"));
      return this;
    }

    /** Adds several endpoints serving the same model; calls are spread round-robin. */
    public Builder baseUrls(List<String> urls) {
      urls.forEach(this::baseUrl);
      return this;
    }

    /** The {@code model} field of each request. */
    public Builder modelName(String modelName) {
      this.modelName = modelName;
      return this;
    }

    /** The name this model reports through {@link ChatModel#name()}; defaults to the model name. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** The NAME of the environment variable holding the API key; without one no Authorization header is sent. */
    public Builder apiKeyEnv(String apiKeyEnv) {
      this.apiKeyEnv = apiKeyEnv;
      return this;
    }

    /** Where {@link #apiKeyEnv} is looked up; {@code System::getenv} by default (tests inject a map). */
    public Builder environment(Function<String, String> environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /** Connect timeout and whole-request timeout. */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** Requests in flight per endpoint. */
    public Builder maxConcurrency(Integer maxConcurrency) {
      this.maxConcurrency = maxConcurrency;
      return this;
    }

    /**
     * Calls in a row that must fail with the same 401, 403 or 404 before the model stops sending (default
     * {@value OpenAiChatModel#DEFAULT_STOP_AFTER_IDENTICAL_FAILURES}); 0 never stops.
     */
    public Builder stopAfterIdenticalFailures(Integer calls) {
      this.stopAfterIdenticalFailures = calls;
      return this;
    }

    /** Extra HTTP headers sent with every request. */
    public Builder customHeaders(Map<String, String> headers) {
      if (headers != null) {
        customHeaders.putAll(headers);
      }
      return this;
    }

    public OpenAiChatModel build() {
      return new OpenAiChatModel(this);
    }
  }
}
