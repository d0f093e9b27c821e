package dev.zephyr.core.chat.cache;

import java.util.Arrays;

/**
 * Where each cached entry's line lies in the store file: an open-addressing table from a key's 64-bit fingerprint to
 * the line's byte offset and length, held in three primitive arrays (about 20 bytes a slot, no object per entry).
 *
 * <p>Keys themselves are not kept: distinct keys may share a fingerprint, so a lookup yields every line with that
 * fingerprint and the store tells them apart by the key written on the line. Methods are synchronized; they are short
 * next to the file read and JSON parse that follow them.
 */
final class LineIndex {
  private static final int MIN_CAPACITY = 1024;
  private static final long[] NONE = new long[0];

  /** Fingerprint per slot; 0 marks an empty slot (no fingerprint is 0). */
  private long[] fingerprints;
  private long[] offsets;
  private int[] lengths;
  private int size;

  LineIndex() {
    allocate(MIN_CAPACITY);
  }

  /** A well-mixed, never-zero 64-bit hash of {@code key}. */
  static long fingerprint(String key) {
    long h = 0xcbf29ce484222325L ^ key.length();
    for (int i = 0; i < key.length(); i++) {
      h = (h ^ key.charAt(i)) * 0x100000001b3L;
    }
    // finalizer of MurmurHash3: spreads the bits so the low ones pick slots well
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h == 0 ? 1 : h;
  }

  /** Offset and length of every line indexed under {@code fingerprint}, as pairs {@code [offset0, length0, ...]}. */
  synchronized long[] find(long fingerprint) {
    long[] out = NONE;
    int mask = fingerprints.length - 1;
    for (int slot = (int) fingerprint & mask; fingerprints[slot] != 0; slot = (slot + 1) & mask) {
      if (fingerprints[slot] == fingerprint) {
        out = Arrays.copyOf(out, out.length + 2);
        out[out.length - 2] = offsets[slot];
        out[out.length - 1] = lengths[slot];
      }
    }
    return out;
  }

  /** Indexes a new line. */
  synchronized void add(long fingerprint, long offset, int length) {
    if ((size + 1) * 3L > fingerprints.length * 2L) {
      grow();
    }
    insert(fingerprint, offset, length);
    size++;
  }

  /** Points the entry at {@code oldOffset} (indexed under {@code fingerprint}) to a newer line for the same key. */
  synchronized void replace(long fingerprint, long oldOffset, long offset, int length) {
    int mask = fingerprints.length - 1;
    for (int slot = (int) fingerprint & mask; fingerprints[slot] != 0; slot = (slot + 1) & mask) {
      if (fingerprints[slot] == fingerprint && offsets[slot] == oldOffset) {
        offsets[slot] = offset;
        lengths[slot] = length;
        return;
      }
    }
    throw new IllegalStateException("no indexed line at offset " + oldOffset);
  }

  /** Number of indexed lines. */
  synchronized int size() {
    return size;
  }

  /** Bytes held by the table's arrays. */
  synchronized long memoryBytes() {
    return fingerprints.length * (long) (Long.BYTES + Long.BYTES + Integer.BYTES);
  }

  private void insert(long fingerprint, long offset, int length) {
    int mask = fingerprints.length - 1;
    int slot = (int) fingerprint & mask;
    while (fingerprints[slot] != 0) {
      slot = (slot + 1) & mask;
    }
    fingerprints[slot] = fingerprint;
    offsets[slot] = offset;
    lengths[slot] = length;
  }

  private void grow() {
    long[] oldFingerprints = fingerprints;
    long[] oldOffsets = offsets;
    int[] oldLengths = lengths;
    if (oldFingerprints.length >= 1 << 30) {
      throw new IllegalStateException("response cache index is full");
    }
    allocate(oldFingerprints.length * 2);
    for (int i = 0; i < oldFingerprints.length; i++) {
      if (oldFingerprints[i] != 0) {
        insert(oldFingerprints[i], oldOffsets[i], oldLengths[i]);
      }
    }
  }

  private void allocate(int capacity) {
    fingerprints = new long[capacity];
    offsets = new long[capacity];
    lengths = new int[capacity];
  }
}
