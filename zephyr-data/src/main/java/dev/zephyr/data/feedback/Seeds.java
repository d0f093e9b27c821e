package dev.zephyr.data.feedback;

import dev.zephyr.core.chat.cache.CacheKey;
import java.util.Random;

/**
 * Seeds derived from the run seed and names (prompt id, purpose, index), so every random choice of a prompt is the
 * same whatever order or process handles it. That is what lets a resumed run reissue identical, cached calls.
 */
final class Seeds {
  private Seeds() {}

  /** A 64-bit seed from the run seed and parts. */
  static long derive(long seed, Object... parts) {
    StringBuilder sb = new StringBuilder().append(seed);
    for (Object p : parts) {
      sb.append('\u001f').append(p);
    }
    String hex = CacheKey.sha256Hex(sb.toString());
    return Long.parseUnsignedLong(hex.substring(0, 16), 16);
  }

  /** A generator for one purpose. */
  static Random random(long seed, Object... parts) {
    return new Random(derive(seed, parts));
  }

  /** A per-request seed in [0, 2^31), a range every OpenAI-compatible server accepts. */
  static long requestSeed(long seed, Object... parts) {
    return derive(seed, parts) & 0x7fffffffL;
  }
}
