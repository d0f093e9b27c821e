package dev.zephyr.train.data;

/**
 * The row order Hugging Face {@code datasets} gives {@code Dataset.shuffle(seed=s)} and
 * {@code train_test_split(seed=s)}: NumPy's {@code default_rng(s).permutation(n)}, that is a {@code SeedSequence} of
 * the seed feeding a PCG64 (XSL-RR 128/64) generator, and a Fisher-Yates shuffle of {@code 0..n-1} drawing each index
 * by masked rejection ({@code random_interval}). Reproducing it bit for bit is what lets a recipe with
 * {@code dataset_mixture} weights keep the same rows here as in the alignment handbook.
 */
public final class HfShuffle {
  private HfShuffle() {}

  /** {@code numpy.random.default_rng(seed).permutation(n)}; {@code seed} must be non-negative, as NumPy requires. */
  public static int[] permutation(long seed, int n) {
    if (seed < 0) {
      throw new IllegalArgumentException("a shuffle seed must be non-negative, got " + seed);
    }
    if (n < 0) {
      throw new IllegalArgumentException("a permutation needs n >= 0, got " + n);
    }
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Pcg64 rng = Pcg64.seeded(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = (int) rng.interval(i);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** NumPy's PCG64 bit generator with the buffered 32-bit half NumPy keeps for {@code next_uint32}. */
  static final class Pcg64 {
    // the 128-bit PCG multiplier, high and low halves
    private static final long MUL_HI = 2549297995355413924L;
    private static final long MUL_LO = 4865540595714422341L;
    private long stateHi;
    private long stateLo;
    private final long incHi;
    private final long incLo;
    private boolean hasHalf;
    private int half;

    private Pcg64(long seedHi, long seedLo, long seqHi, long seqLo) {
      // pcg_setseq_128_srandom_r: inc = (seq << 1) | 1; state = 0; step; state += seed; step
      incHi = (seqHi << 1) | (seqLo >>> 63);
      incLo = (seqLo << 1) | 1L;
      step();
      long lo = stateLo + seedLo;
      stateHi = stateHi + seedHi + (Long.compareUnsigned(lo, stateLo) < 0 ? 1 : 0);
      stateLo = lo;
      step();
    }

    /** {@code PCG64(SeedSequence(seed))}: four 64-bit words of seed state, the first two the state, then the stream. */
    static Pcg64 seeded(long seed) {
      long[] w = SeedSequence.of(seed).generateState64(4);
      return new Pcg64(w[0], w[1], w[2], w[3]);
    }

    private void step() {
      // state = state * MUL + inc (mod 2^128)
      long lo = stateLo * MUL_LO;
      long hi = Math.multiplyHigh(stateLo, MUL_LO) + ((stateLo >> 63) & MUL_LO) + ((MUL_LO >> 63) & stateLo)
          + stateLo * MUL_HI + stateHi * MUL_LO;
      long newLo = lo + incLo;
      stateHi = hi + incHi + (Long.compareUnsigned(newLo, lo) < 0 ? 1 : 0);
      stateLo = newLo;
    }

    long nextLong() {
      step();
      long x = stateHi ^ stateLo;
      return Long.rotateRight(x, (int) (stateHi >>> 58));
    }

    int nextInt() {
      if (hasHalf) {
        hasHalf = false;
        return half;
      }
      long next = nextLong();
      hasHalf = true;
      half = (int) (next >>> 32);
      return (int) next;
    }

    /** A uniform value in {@code [0, max]} by NumPy's masked rejection ({@code random_interval}). */
    long interval(long max) {
      if (max == 0) {
        return 0;
      }
      long mask = max;
      mask |= mask >>> 1;
      mask |= mask >>> 2;
      mask |= mask >>> 4;
      mask |= mask >>> 8;
      mask |= mask >>> 16;
      mask |= mask >>> 32;
      long value;
      if (max <= 0xffffffffL) {
        do {
          value = Integer.toUnsignedLong(nextInt()) & mask;
        } while (value > max);
      } else {
        do {
          value = nextLong() & mask;
        } while (Long.compareUnsigned(value, max) > 0);
      }
      return value;
    }
  }

  /** NumPy's {@code SeedSequence} for an integer seed and no spawn key (pool of four 32-bit words). */
  static final class SeedSequence {
    private static final int POOL = 4;
    private static final int INIT_A = 0x43b0d7e5;
    private static final int MULT_A = 0x931e8875;
    private static final int INIT_B = 0x8b51f9dd;
    private static final int MULT_B = 0x58f38ded;
    private static final int MIX_L = 0xca01f9dd;
    private static final int MIX_R = 0x4973f715;
    private static final int XSHIFT = 16;
    private final int[] pool = new int[POOL];

    private SeedSequence(int[] entropy) {
      int[] hash = {INIT_A};
      for (int i = 0; i < POOL; i++) {
        pool[i] = hashmix(i < entropy.length ? entropy[i] : 0, hash);
      }
      for (int src = 0; src < POOL; src++) {
        for (int dst = 0; dst < POOL; dst++) {
          if (src != dst) {
            pool[dst] = mix(pool[dst], hashmix(pool[src], hash));
          }
        }
      }
      for (int src = POOL; src < entropy.length; src++) {
        for (int dst = 0; dst < POOL; dst++) {
          pool[dst] = mix(pool[dst], hashmix(entropy[src], hash));
        }
      }
    }

    static SeedSequence of(long seed) {
      // the seed as little-endian 32-bit words; zero is one word
      int[] words = (seed >>> 32) != 0 ? new int[] {(int) seed, (int) (seed >>> 32)} : new int[] {(int) seed};
      return new SeedSequence(words);
    }

    long[] generateState64(int n) {
      int[] w = new int[2 * n];
      int hash = INIT_B;
      for (int i = 0; i < w.length; i++) {
        int v = pool[i % POOL] ^ hash;
        hash *= MULT_B;
        v *= hash;
        v ^= v >>> XSHIFT;
        w[i] = v;
      }
      long[] out = new long[n];
      for (int i = 0; i < n; i++) {
        out[i] = Integer.toUnsignedLong(w[2 * i]) | ((long) w[2 * i + 1] << 32);
      }
      return out;
    }

    private static int hashmix(int value, int[] hash) {
      value ^= hash[0];
      hash[0] *= MULT_A;
      value *= hash[0];
      value ^= value >>> XSHIFT;
      return value;
    }

    private static int mix(int x, int y) {
      int r = MIX_L * x - MIX_R * y;
      return r ^ (r >>> XSHIFT);
    }
  }
}
