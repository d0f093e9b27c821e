package dev.zephyr.eval.alpacaeval;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The Mersenne Twister (MT19937) exactly as CPython's {@code random.Random} runs it, including the way CPython seeds
 * from a {@code str}: the UTF-8 bytes followed by their SHA-512 digest, read as one big-endian integer, split into
 * 32-bit words (least significant first) and fed to {@code init_by_array}. {@link #random()} builds a 53-bit double
 * from two 32-bit outputs as {@code genrand_res53} does.
 *
 * <p>alpaca_eval decides whether to swap the two outputs shown to the judge with
 * {@code random.Random(seed_string).choices([False, True])}; reproducing its position switching bit for bit needs this.
 * lm-evaluation-harness draws its few-shot examples with {@code random.Random(1234).sample(docs, k)}, which
 * {@link #sample} reproduces.
 */
public final class CPythonRandom {
  private static final int N = 624;
  private static final int M = 397;
  private static final int MATRIX_A = 0x9908b0df;
  private static final int UPPER_MASK = 0x80000000;
  private static final int LOWER_MASK = 0x7fffffff;

  private final int[] mt = new int[N];
  private int mti = N + 1;

  /** Seeded like {@code random.Random(seed)} for a Python {@code str} seed (version 2 seeding). */
  public CPythonRandom(String seed) {
    byte[] utf8 = seed.getBytes(StandardCharsets.UTF_8);
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("SHA-512").digest(utf8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-512 is missing from this JVM", e);
    }
    byte[] all = new byte[utf8.length + digest.length];
    System.arraycopy(utf8, 0, all, 0, utf8.length);
    System.arraycopy(digest, 0, all, utf8.length, digest.length);
    initByArray(toKey(new BigInteger(1, all)));
  }

  /** Seeded like {@code random.Random(seed)} for a non-negative Python {@code int} seed. */
  public CPythonRandom(BigInteger seed) {
    initByArray(toKey(seed.abs()));
  }

  /** The 32-bit words of {@code value}, least significant first; zero becomes {@code [0]} as in CPython. */
  private static int[] toKey(BigInteger value) {
    if (value.signum() == 0) {
      return new int[] {0};
    }
    int words = (value.bitLength() + 31) / 32;
    int[] key = new int[words];
    BigInteger mask = BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE);
    for (int i = 0; i < words; i++) {
      key[i] = value.shiftRight(32 * i).and(mask).intValue();
    }
    return key;
  }

  private void initGenrand(int s) {
    mt[0] = s;
    for (mti = 1; mti < N; mti++) {
      mt[mti] = 1812433253 * (mt[mti - 1] ^ (mt[mti - 1] >>> 30)) + mti;
    }
  }

  private void initByArray(int[] key) {
    initGenrand(19650218);
    int i = 1;
    int j = 0;
    for (int k = Math.max(N, key.length); k > 0; k--) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) {
        j = 0;
      }
    }
    for (int k = N - 1; k > 0; k--) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    mti = N;
  }

  /** The next 32-bit output as an unsigned value ({@code getrandbits(32)}). */
  public long nextUint32() {
    return Integer.toUnsignedLong(genrandInt32());
  }

  private int genrandInt32() {
    int y;
    if (mti >= N) {
      int kk;
      for (kk = 0; kk < N - M; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
      }
      y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
      mti = 0;
    }
    y = mt[mti++];
    y ^= (y >>> 11);
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= (y >>> 18);
    return y;
  }

  /** A double in [0, 1) with 53 random bits, as {@code random.random()}. */
  public double random() {
    long a = nextUint32() >>> 5;
    long b = nextUint32() >>> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  /** {@code getrandbits(k)} for {@code 0 <= k <= 32}: the top {@code k} bits of one 32-bit output. */
  public long getrandbits(int k) {
    if (k < 0 || k > 32) {
      throw new IllegalArgumentException("getrandbits supports 0..32 bits here, got " + k);
    }
    return k == 0 ? 0 : nextUint32() >>> (32 - k);
  }

  /**
   * CPython's {@code _randbelow_with_getrandbits(n)}: draw {@code n.bit_length()} bits until the value is below
   * {@code n} (rejection sampling, so the number of outputs consumed varies).
   */
  public int randbelow(int n) {
    if (n <= 0) {
      throw new IllegalArgumentException("randbelow needs a positive bound, got " + n);
    }
    int bits = 32 - Integer.numberOfLeadingZeros(n);
    long r = getrandbits(bits);
    while (r >= n) {
      r = getrandbits(bits);
    }
    return (int) r;
  }

  /**
   * {@code random.sample(population, k)} as CPython 3 draws it: for a population no larger than the "set size"
   * ({@code 21}, plus {@code 4 ** ceil(log(3k, 4))} when {@code k > 5}) a partial Fisher-Yates shuffle of a copy
   * (the drawn slot is refilled from the end); for a larger one, draws of indices below {@code n} with rejection of
   * repeats.
   *
   * @throws IllegalArgumentException when {@code k} is negative or larger than the population, as CPython's
   *     {@code ValueError}
   */
  public <T> java.util.List<T> sample(java.util.List<T> population, int k) {
    int n = population.size();
    if (k < 0 || k > n) {
      throw new IllegalArgumentException("sample larger than population or is negative: k=" + k + ", n=" + n);
    }
    long setSize = 21;
    if (k > 5) {
      setSize += (long) Math.pow(4, Math.ceil(Math.log(k * 3.0) / Math.log(4)));
    }
    java.util.List<T> result = new java.util.ArrayList<>(k);
    if (n <= setSize) {
      java.util.List<T> pool = new java.util.ArrayList<>(population);
      for (int i = 0; i < k; i++) {
        int j = randbelow(n - i);
        result.add(pool.get(j));
        pool.set(j, pool.get(n - i - 1));
      }
    } else {
      java.util.Set<Integer> selected = new java.util.HashSet<>();
      for (int i = 0; i < k; i++) {
        int j = randbelow(n);
        while (selected.contains(j)) {
          j = randbelow(n);
        }
        selected.add(j);
        result.add(population.get(j));
      }
    }
    return result;
  }

  /** {@code random.choices(population)[0]} without weights: {@code population[floor(random() * n)]}. */
  public <T> T choice(java.util.List<T> population) {
    return population.get((int) Math.floor(random() * population.size()));
  }
}
