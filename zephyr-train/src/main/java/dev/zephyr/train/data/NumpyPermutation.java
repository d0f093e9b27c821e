package dev.zephyr.train.data;

/**
 * {@code numpy.random.default_rng(seed).permutation(n)}, bit for bit: a {@code SeedSequence} expands the seed into
 * the state of a PCG64 generator (128-bit LCG, XSL-RR output), and the permutation is numpy's Fisher-Yates shuffle
 * drawing each bound with masked rejection sampling. Hugging Face {@code datasets} shuffles and splits with exactly
 * this ({@code Dataset.shuffle(seed)}, {@code Dataset.train_test_split(test_size, seed)}), so the same seed selects
 * the same rows here as in Python.
 */
public final class NumpyPermutation {
  // SeedSequence's hash constants (numpy/random/bit_generator.pyx)
  private static final int INIT_A = 0x43b0d7e5;
  private static final int MULT_A = 0x931e8875;
  private static final int INIT_B = 0x8b51f9dd;
  private static final int MULT_B = 0x58f38ded;
  private static final int MIX_MULT_L = 0xca01f9dd;
  private static final int MIX_MULT_R = 0x4973f715;
  private static final int POOL_SIZE = 4;
  // PCG's default 128-bit multiplier
  private static final long MULT_HI = 0x2360ED051FC65DA4L;
  private static final long MULT_LO = 0x4385DF649FCCF645L;

  private long stateHi;
  private long stateLo;
  private final long incHi;
  private final long incLo;
  private boolean hasHalf;
  private int half;

  private NumpyPermutation(long seed) {
    if (seed < 0) {
      throw new IllegalArgumentException("numpy seeds are non-negative, got " + seed);
    }
    long[] words = seedState(seed);
    long initHi = words[0];
    long initLo = words[1];
    incHi = (words[2] << 1) | (words[3] >>> 63);
    incLo = (words[3] << 1) | 1L;
    stateHi = 0;
    stateLo = 0;
    step();
    long lo = stateLo + initLo;
    stateHi = stateHi + initHi + (Long.compareUnsigned(lo, stateLo) < 0 ? 1 : 0);
    stateLo = lo;
    step();
  }

  /** {@code np.random.default_rng(seed).permutation(n)}. */
  public static int[] of(int n, long seed) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    NumpyPermutation g = new NumpyPermutation(seed);
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = (int) g.interval(i);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /**
   * {@code SeedSequence(seed).generate_state(4, np.uint64)}: the PCG64 seed words (state high, state low, increment
   * high, increment low).
   */
  static long[] seedState(long seed) {
    int[] entropy = seed >>> 32 == 0 ? new int[] {(int) seed} : new int[] {(int) seed, (int) (seed >>> 32)};
    int[] pool = new int[POOL_SIZE];
    int[] hashConst = {INIT_A};
    for (int i = 0; i < POOL_SIZE; i++) {
      pool[i] = hashmix(i < entropy.length ? entropy[i] : 0, hashConst);
    }
    for (int src = 0; src < POOL_SIZE; src++) {
      for (int dst = 0; dst < POOL_SIZE; dst++) {
        if (src != dst) {
          pool[dst] = mix(pool[dst], hashmix(pool[src], hashConst));
        }
      }
    }
    // entropy words beyond the pool size (at most two here, never more than four) would be mixed in afterwards
    int h = INIT_B;
    int[] state = new int[8];
    for (int i = 0; i < state.length; i++) {
      int v = pool[i % POOL_SIZE] ^ h;
      h *= MULT_B;
      v *= h;
      v ^= v >>> 16;
      state[i] = v;
    }
    long[] words = new long[4];
    for (int i = 0; i < 4; i++) {
      words[i] = (state[2 * i] & 0xFFFFFFFFL) | ((long) state[2 * i + 1] << 32);
    }
    return words;
  }

  private static int hashmix(int value, int[] hashConst) {
    value ^= hashConst[0];
    hashConst[0] *= MULT_A;
    value *= hashConst[0];
    return value ^ (value >>> 16);
  }

  private static int mix(int x, int y) {
    int r = MIX_MULT_L * x - MIX_MULT_R * y;
    return r ^ (r >>> 16);
  }

  /** state = state * MULT + inc (mod 2^128). */
  private void step() {
    long lo = stateLo * MULT_LO;
    long hi = unsignedMultiplyHigh(stateLo, MULT_LO) + stateHi * MULT_LO + stateLo * MULT_HI;
    long sumLo = lo + incLo;
    stateHi = hi + incHi + (Long.compareUnsigned(sumLo, lo) < 0 ? 1 : 0);
    stateLo = sumLo;
  }

  private long next64() {
    step();
    return Long.rotateRight(stateHi ^ stateLo, (int) (stateHi >>> 58));
  }

  /** numpy's {@code next_uint32} for PCG64: each 64-bit output serves two draws, low half first. */
  private int next32() {
    if (hasHalf) {
      hasHalf = false;
      return half;
    }
    long v = next64();
    hasHalf = true;
    half = (int) (v >>> 32);
    return (int) v;
  }

  /** numpy's {@code random_interval}: uniform in [0, max] by masking to the next power of two and rejecting. */
  private long interval(long max) {
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
    long v;
    if (max <= 0xFFFFFFFFL) {
      do {
        v = next32() & 0xFFFFFFFFL & mask;
      } while (v > max);
    } else {
      do {
        v = next64() & mask;
      } while (Long.compareUnsigned(v, max) > 0);
    }
    return v;
  }

  private static long unsignedMultiplyHigh(long a, long b) {
    return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
  }
}
