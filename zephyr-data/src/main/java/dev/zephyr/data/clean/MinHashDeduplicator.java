package dev.zephyr.data.clean;

import dev.zephyr.data.instruct.RougeL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Near-duplicate detection with MinHash and locality-sensitive hashing over word n-gram shingles. Texts are
 * considered in order; a text is a near duplicate when some earlier kept text shares an LSH bucket with it and their
 * exact Jaccard similarity of shingle sets is at least the threshold (candidates are verified exactly, so the LSH
 * only decides which pairs get compared). Shingles are FNV-1a hashes of the word n-grams; hash function {@code i} is
 * SplitMix64's finaliser applied to {@code shingle XOR a_i}, with the {@code a_i} drawn from the seed: same seed,
 * same result.
 */
public final class MinHashDeduplicator {
  private final int shingle;
  private final int bands;
  private final int rows;
  private final double threshold;
  private final long[] a;

  /**
   * @param shingle words per shingle
   * @param bands LSH bands
   * @param rows rows per band (bands x rows hash functions)
   * @param threshold minimum Jaccard similarity for a near duplicate
   * @param seed seeds the hash functions
   */
  public MinHashDeduplicator(int shingle, int bands, int rows, double threshold, long seed) {
    if (shingle < 1 || bands < 1 || rows < 1 || threshold <= 0 || threshold > 1) {
      throw new IllegalArgumentException("need shingle, bands, rows >= 1 and threshold in (0, 1]");
    }
    this.shingle = shingle;
    this.bands = bands;
    this.rows = rows;
    this.threshold = threshold;
    Random rng = new Random(seed);
    int k = bands * rows;
    a = new long[k];
    for (int i = 0; i < k; i++) {
      a[i] = rng.nextLong();
    }
  }

  /** 5-word shingles, 32 bands of 4 rows (128 hashes), Jaccard >= 0.8. */
  public static MinHashDeduplicator defaults(long seed) {
    return new MinHashDeduplicator(5, 32, 4, 0.8, seed);
  }

  /** For each text, the index of the earlier kept text it nearly duplicates, or -1 when it is kept. */
  public int[] findDuplicates(List<String> texts) {
    int[] dupOf = new int[texts.size()];
    List<Set<Long>> shingles = new ArrayList<>();
    List<Map<Long, List<Integer>>> buckets = new ArrayList<>();
    for (int band = 0; band < bands; band++) {
      buckets.add(new HashMap<>());
    }
    for (int t = 0; t < texts.size(); t++) {
      Set<Long> sh = shingles(texts.get(t));
      shingles.add(sh);
      dupOf[t] = -1;
      if (sh.isEmpty()) {
        continue;
      }
      long[] sig = signature(sh);
      Set<Integer> candidates = new java.util.TreeSet<>();
      long[] keys = new long[bands];
      for (int band = 0; band < bands; band++) {
        long key = 1125899906842597L;
        for (int r = 0; r < rows; r++) {
          key = 31 * key + sig[band * rows + r];
        }
        keys[band] = key;
        candidates.addAll(buckets.get(band).getOrDefault(key, List.of()));
      }
      for (int c : candidates) {
        if (jaccard(sh, shingles.get(c)) >= threshold) {
          dupOf[t] = c;
          break;
        }
      }
      if (dupOf[t] < 0) {
        for (int band = 0; band < bands; band++) {
          buckets.get(band).computeIfAbsent(keys[band], x -> new ArrayList<>()).add(t);
        }
      }
    }
    return dupOf;
  }

  /** Exact Jaccard similarity of two shingle sets. */
  public static double jaccard(Set<Long> x, Set<Long> y) {
    if (x.isEmpty() && y.isEmpty()) {
      return 1.0;
    }
    int inter = 0;
    for (Long v : x.size() < y.size() ? x : y) {
      if ((x.size() < y.size() ? y : x).contains(v)) {
        inter++;
      }
    }
    return (double) inter / (x.size() + y.size() - inter);
  }

  /** Hashed word n-gram shingles (texts shorter than n words give one shingle of all their words). */
  public Set<Long> shingles(String text) {
    List<String> toks = RougeL.tokenize(text);
    Set<Long> out = new HashSet<>();
    if (toks.isEmpty()) {
      return out;
    }
    int len = Math.min(shingle, toks.size());
    for (int i = 0; i + len <= toks.size(); i++) {
      out.add(fnv1a64(String.join(" ", toks.subList(i, i + len))));
    }
    return out;
  }

  private long[] signature(Set<Long> shingles) {
    long[] sig = new long[a.length];
    java.util.Arrays.fill(sig, Long.MAX_VALUE);
    for (long s : shingles) {
      for (int i = 0; i < a.length; i++) {
        long h = mix64(s ^ a[i]) >>> 1; // non-negative, so the signed comparison orders it correctly
        if (h < sig[i]) {
          sig[i] = h;
        }
      }
    }
    return sig;
  }

  /** SplitMix64's finaliser: a strong 64-bit mixer, so {@code x -> mix64(x ^ a_i)} are independent-looking hashes. */
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  static long fnv1a64(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= (c & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }
}
