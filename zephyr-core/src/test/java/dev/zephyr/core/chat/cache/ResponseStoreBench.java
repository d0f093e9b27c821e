package dev.zephyr.core.chat.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.io.Json;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Response-cache benchmark (a program, not a test): writes {@code entries} cache lines of about {@code textChars}
 * characters each, opens the store, and prints the open time, the heap in use after opening (after
 * {@link System#gc()}), random-order get throughput on one and on {@code threads} threads, and the throughput of
 * concurrent puts (fsynced, group commit).
 *
 * <p>Arguments: {@code [entries=100000] [textChars=2000] [threads=4] [puts=2000]}. Uses only the public API, so it
 * measures any version of the store. Run from the repository root:
 *
 * <pre>
 * mvn -B -ntp -o -q -pl zephyr-core test-compile
 * mvn -B -ntp -o -q -pl zephyr-core dependency:build-classpath -Dmdep.outputFile=/tmp/core-cp.txt -Dmdep.includeScope=test
 * java -Xmx3g -XX:+UseParallelGC -cp zephyr-core/target/test-classes:zephyr-core/target/classes:$(cat /tmp/core-cp.txt) \
 *     dev.zephyr.core.chat.cache.ResponseStoreBench
 * </pre>
 */
public final class ResponseStoreBench {
  private ResponseStoreBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int chars = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int puts = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
    Path dir = Files.createTempDirectory("zephyr-store-bench");
    Path file = dir.resolve("cache.jsonl");
    try {
      long t0 = System.nanoTime();
      try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        for (int i = 0; i < n; i++) {
          ObjectNode node = Json.mapper().createObjectNode();
          node.put("key", key(i));
          node.put("model", "bench");
          node.set("response", Json.mapper().valueToTree(response(i, chars)));
          w.write(Json.mapper().writeValueAsString(node));
          w.write('\n');
        }
      }
      System.out.printf("wrote %d entries, %.1f MB, in %.0f ms%n", n, Files.size(file) / 1e6,
          (System.nanoTime() - t0) / 1e6);
      long heapBefore = usedHeapAfterGc();
      t0 = System.nanoTime();
      try (ResponseStore store = ResponseStore.open(file)) {
        double openMs = (System.nanoTime() - t0) / 1e6;
        long heapAfter = usedHeapAfterGc();
        System.out.printf("open: %.0f ms, %d entries; heap used after open %.1f MB (%.1f MB before, +%.0f bytes/entry)%n",
            openMs, store.size(), heapAfter / 1e6, heapBefore / 1e6, (double) (heapAfter - heapBefore) / n);
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          order.add(i);
        }
        Collections.shuffle(order, new Random(7));
        for (int round = 1; round <= 2; round++) {
          gets("get, 1 thread, round " + round, store, order, 1, chars);
        }
        gets("get, " + threads + " threads", store, order, threads, chars);
        if (puts > 0) {
          ExecutorService pool = Executors.newFixedThreadPool(32);
          t0 = System.nanoTime();
          List<Future<?>> done = new ArrayList<>();
          for (int i = 0; i < puts; i++) {
            int id = n + i;
            done.add(pool.submit(() -> store.put(key(id), "bench", response(id, chars))));
          }
          for (Future<?> f : done) {
            f.get();
          }
          double ms = (System.nanoTime() - t0) / 1e6;
          pool.shutdown();
          System.out.printf("put, 32 threads (fsync, group commit): %d in %.0f ms = %.0f puts/s%n", puts, ms,
              puts / ms * 1000);
        }
      }
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  private static void gets(String label, ResponseStore store, List<Integer> order, int threads, int chars)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long t0 = System.nanoTime();
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int first = t;
      done.add(pool.submit(() -> {
        for (int j = first; j < order.size(); j += threads) {
          int i = order.get(j);
          ChatResponse r = store.get(key(i)).orElseThrow(() -> new IllegalStateException("missing entry " + i));
          if (r.first().completionTokens() != i || r.text().length() != chars) {
            throw new IllegalStateException("wrong entry for " + i);
          }
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    double ms = (System.nanoTime() - t0) / 1e6;
    pool.shutdown();
    System.out.printf("%-24s %d gets in %.0f ms = %.0f gets/s%n", label + ":", order.size(), ms,
        order.size() / ms * 1000);
  }

  private static String key(int i) {
    return CacheKey.sha256Hex("bench entry " + i);
  }

  private static ChatResponse response(int i, int chars) {
    StringBuilder text = new StringBuilder(chars);
    Random random = new Random(i);
    while (text.length() < chars) {
      text.append((char) ('a' + random.nextInt(26)));
      if (random.nextInt(6) == 0) {
        text.append(' ');
      }
    }
    text.setLength(chars);
    return new ChatResponse("bench", List.of(new Completion(text.toString(), FinishReason.STOP, i)), 100);
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
