package dev.zephyr.core.chat.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.TokenLogprob;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResponseStoreTest {
  @TempDir Path dir;

  /** A response that exercises every field: several choices, logprobs, escapes and non-ASCII text. */
  private static ChatResponse response(int i) {
    List<TokenLogprob> logprobs = i % 3 == 0 ? List.of() : List.of(
        new TokenLogprob("tok" + i, -0.1 * i - 1e-9, List.of(new TokenLogprob.TopLogprob("alt\"" + i, -2.5 / (i + 1)))),
        new TokenLogprob("é", -1.0 / 3, List.of()));
    List<Completion> choices = new ArrayList<>();
    choices.add(new Completion("answer " + i + " line one\nline \"two\" \t ünïcødé 😀 " + "x".repeat(i % 97),
        FinishReason.STOP, 7 + i, logprobs));
    if (i % 4 == 1) {
      choices.add(new Completion("second sample " + i, FinishReason.LENGTH, 3));
    }
    return new ChatResponse("model-" + (i % 5), choices, 11 + i);
  }

  private static String key(int i) {
    return CacheKey.sha256Hex("entry " + i);
  }

  @Test
  void everyEntryRoundTripsExactlyBeforeAndAfterReopening() {
    Path file = dir.resolve("cache.jsonl");
    int n = 600;
    try (ResponseStore store = ResponseStore.open(file)) {
      for (int i = 0; i < n; i++) {
        store.put(key(i), "m", response(i));
        assertThat(store.get(key(i))).contains(response(i));
      }
      assertThat(store.size()).isEqualTo(n);
    }
    try (ResponseStore store = ResponseStore.open(file)) {
      assertThat(store.size()).isEqualTo(n);
      assertThat(store.tornLinesDropped()).isZero();
      for (int i = 0; i < n; i++) {
        assertThat(store.get(key(i))).as("entry %d", i).contains(response(i));
      }
      assertThat(store.get(key(n))).isEmpty();
      assertThat(store.get("")).isEmpty();
    }
  }

  @Test
  void responsesStayOnDiskAndTheIndexHoldsOnlyOffsets() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    int n = 5;
    String megabyte = "m".repeat(1 << 20);
    try (ResponseStore store = ResponseStore.open(file)) {
      for (int i = 0; i < n; i++) {
        store.put(key(i), "m", new ChatResponse("m", List.of(new Completion(i + megabyte, FinishReason.STOP, i)), 1));
      }
    }
    assertThat(Files.size(file)).isGreaterThan(n * (1L << 20));
    try (ResponseStore store = ResponseStore.open(file)) {
      // the index is a fixed-size table of numbers, tiny next to the 5 MB of responses
      assertThat(store.indexBytes()).isLessThan(64 * 1024);
      for (int i = 0; i < n; i++) {
        ChatResponse r = store.get(key(i)).orElseThrow();
        assertThat(r.text()).hasSize(megabyte.length() + 1).startsWith(i + "m").isEqualTo(i + megabyte);
      }
      // nothing on the store or its index can hold a response: numbers, locks, channels and the path only
      for (Field f : LineIndex.class.getDeclaredFields()) {
        if (!Modifier.isStatic(f.getModifiers())) {
          Class<?> type = f.getType();
          assertThat(type.isPrimitive() || (type.isArray() && type.getComponentType().isPrimitive()))
              .as("LineIndex.%s is a primitive or primitive array", f.getName()).isTrue();
        }
      }
      for (Field f : ResponseStore.class.getDeclaredFields()) {
        if (!Modifier.isStatic(f.getModifiers())) {
          assertThat(f.getType()).as("ResponseStore.%s", f.getName())
              .isNotEqualTo(ChatResponse.class).isNotEqualTo(String.class).isNotEqualTo(Optional.class)
              .matches(t -> !Map.class.isAssignableFrom(t) && !Collection.class.isAssignableFrom(t) && !t.isArray(),
                  "no map, collection or array");
        }
      }
    }
  }

  @Test
  void tornLastLineIsDroppedAndTruncatedAway() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    try (ResponseStore store = ResponseStore.open(file)) {
      for (int i = 0; i < 3; i++) {
        store.put(key(i), "m", response(i));
      }
    }
    long goodSize = Files.size(file);
    Files.writeString(file, "{\"key\":\"abc\",\"model\":\"m\",\"resp", StandardOpenOption.APPEND);
    try (ResponseStore store = ResponseStore.open(file)) {
      assertThat(store.tornLinesDropped()).isEqualTo(1);
      assertThat(Files.size(file)).isEqualTo(goodSize);
      assertThat(store.size()).isEqualTo(3);
      assertThat(store.get("abc")).isEmpty();
      store.put(key(3), "m", response(3));
      assertThat(store.get(key(3))).contains(response(3));
    }
    try (ResponseStore store = ResponseStore.open(file)) {
      assertThat(store.tornLinesDropped()).isZero();
      for (int i = 0; i < 4; i++) {
        assertThat(store.get(key(i))).contains(response(i));
      }
    }
  }

  @Test
  void aCompleteLastLineWithoutNewlineIsTornToo() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    String good = "{\"key\":\"a\",\"model\":\"m\",\"response\":{\"model\":\"m\",\"choices\":[{\"text\":\"A\","
        + "\"finish_reason\":\"stop\",\"completion_tokens\":1}],\"prompt_tokens\":2}}";
    // a blank line in the middle is skipped but counted
    Files.writeString(file, good + "\n\n" + good.replace("\"a\"", "\"b\""));
    try (ResponseStore store = ResponseStore.open(file)) {
      assertThat(store.tornLinesDropped()).isEqualTo(1);
      assertThat(store.size()).isEqualTo(1);
      assertThat(store.get("a").orElseThrow().text()).isEqualTo(Json2.textOf(good));
      assertThat(store.get("b")).isEmpty();
    }
    assertThat(Files.readString(file)).isEqualTo(good + "\n\n");
  }

  @Test
  void aBlankLastLineIsNotTorn() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    Files.writeString(file, "\n  ");
    try (ResponseStore store = ResponseStore.open(file)) {
      assertThat(store.tornLinesDropped()).isZero();
      assertThat(store.size()).isZero();
    }
    assertThat(Files.readString(file)).isEqualTo("\n  ");
  }

  @Test
  void aBadLineBeforeTheLastIsAnErrorNamingFileAndLineAndReleasesTheLock() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    try (ResponseStore store = ResponseStore.open(file)) {
      for (int i = 0; i < 300; i++) {
        store.put(key(i), "m", response(i));
      }
    }
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    String line200 = lines.get(199);
    lines.set(199, line200.substring(0, line200.length() / 2));
    Files.write(file, lines);
    assertThatThrownBy(() -> ResponseStore.open(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("cache.jsonl:200")
        .hasMessageContaining("corrupt response-cache line (not a torn last line)")
        .satisfies(e -> {
          assertThat(((InvalidInputException) e).line()).isEqualTo(200);
          assertThat(((InvalidInputException) e).source()).isEqualTo(file.toString());
        });
    // the failed open let go of the file
    lines.set(199, line200);
    Files.write(file, lines);
    try (ResponseStore store = ResponseStore.open(file)) {
      assertThat(store.size()).isEqualTo(300);
      assertThat(store.get(key(199))).contains(response(199));
    }
  }

  @Test
  void aLineWithoutResponseIsAnError() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    Files.writeString(file, "{\"key\":\"k\"}\n{\"key\":\"j\"}\n");
    assertThatThrownBy(() -> ResponseStore.open(file))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("cache.jsonl:1")
        .hasMessageContaining("no \"response\"");
  }

  @Test
  void aKeyWrittenTwiceResolvesToItsLastLineAndPutNeverRewritesAKey() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    String line = "{\"key\":\"k\",\"model\":\"m\",\"response\":{\"model\":\"m\",\"choices\":[{\"text\":\"%s\","
        + "\"finish_reason\":\"stop\",\"completion_tokens\":1}],\"prompt_tokens\":2}}\n";
    Files.writeString(file, line.formatted("old") + line.formatted("other").replace("\"k\"", "\"j\"")
        + line.formatted("new"), StandardCharsets.UTF_8);
    try (ResponseStore store = ResponseStore.open(file)) {
      assertThat(store.size()).isEqualTo(2);
      assertThat(store.get("k").orElseThrow().text()).isEqualTo("new");
      assertThat(store.get("j").orElseThrow().text()).isEqualTo("other");
      store.put("k", "m", response(1));
      assertThat(store.get("k").orElseThrow().text()).isEqualTo("new");
    }
    assertThat(Files.readAllLines(file)).hasSize(3);
  }

  @Test
  void concurrentGetsAndPutsSeeEveryValueWhole() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    int writers = 6;
    int perWriter = 150;
    int readers = 3;
    int total = writers * perWriter;
    ExecutorService pool = Executors.newFixedThreadPool(writers + readers);
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger seenByReaders = new AtomicInteger();
    try (ResponseStore store = ResponseStore.open(file)) {
      List<Future<?>> writes = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int first = w * perWriter;
        writes.add(pool.submit(() -> {
          for (int i = first; i < first + perWriter; i++) {
            store.put(key(i), "m", response(i));
            // visible to the writer the moment put returns
            assertThat(store.get(key(i))).contains(response(i));
            // every writer also races to write one shared key; it lands once
            store.put(key(total + i % 10), "m", response(total + i % 10));
          }
          return null;
        }));
      }
      List<Future<?>> reads = new ArrayList<>();
      for (int r = 0; r < readers; r++) {
        reads.add(pool.submit(() -> {
          while (writing.get()) {
            for (int i = 0; i < total + 10; i++) {
              Optional<ChatResponse> got = store.get(key(i));
              if (got.isPresent()) {
                assertThat(got.get()).isEqualTo(response(i));
                seenByReaders.incrementAndGet();
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : writes) {
        f.get(60, TimeUnit.SECONDS);
      }
      writing.set(false);
      for (Future<?> f : reads) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(store.size()).isEqualTo(total + 10);
    } finally {
      pool.shutdownNow();
    }
    assertThat(seenByReaders.get()).isPositive();
    assertThat(Files.readAllLines(file)).hasSize(total + 10);
    try (ResponseStore store = ResponseStore.open(file)) {
      for (int i = 0; i < total + 10; i++) {
        assertThat(store.get(key(i))).contains(response(i));
      }
    }
  }

  @Test
  void interruptsNeitherFailAGetNorBreakTheStore() throws Exception {
    Path file = dir.resolve("cache.jsonl");
    int n = 200;
    try (ResponseStore store = ResponseStore.open(file)) {
      for (int i = 0; i < n; i++) {
        store.put(key(i), "m", response(i));
      }
      Thread.currentThread().interrupt();
      try {
        assertThat(store.get(key(7))).contains(response(7));
        assertThat(Thread.currentThread().isInterrupted()).as("interrupt status kept").isTrue();
      } finally {
        Thread.interrupted();
      }
      // readers interrupted over and over, some of them in the middle of a read
      AtomicInteger good = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        threads.add(new Thread(() -> {
          for (int round = 0; round < 5; round++) {
            for (int i = 0; i < n; i++) {
              if (store.get(key(i)).equals(Optional.of(response(i)))) {
                good.incrementAndGet();
              }
            }
          }
        }));
      }
      threads.forEach(Thread::start);
      while (threads.stream().anyMatch(Thread::isAlive)) {
        threads.forEach(Thread::interrupt);
        Thread.sleep(1);
      }
      assertThat(good.get()).isEqualTo(3 * 5 * n);
      store.put(key(n), "m", response(n));
      assertThat(store.get(key(n))).contains(response(n));
    }
  }

  @Test
  void getAfterCloseIsAClearError() {
    ResponseStore store = ResponseStore.open(dir.resolve("cache.jsonl"));
    store.put("k", "m", response(0));
    store.close();
    assertThatThrownBy(() -> store.get("k")).hasMessageContaining("closed");
  }

  /** Pulls the first choice's text out of a hand-written line. */
  private static final class Json2 {
    static String textOf(String line) throws Exception {
      return dev.zephyr.core.io.Json.mapper().readTree(line).at("/response/choices/0/text").asText();
    }
  }
}
