package dev.zephyr.train.sft;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Packs tokenized examples into rows of at most {@code maxLength} tokens with best-fit decreasing (TRL's {@code bfd}
 * strategy): examples sorted by length, longest first, each into the open bin with the least room that still fits.
 * Every document keeps its own position ids (restarting at 0) and document id, so the block-diagonal attention bias of
 * {@link dev.zephyr.train.loop.CausalLm#attentionBias} keeps packed documents from seeing each other.
 */
public final class Packing {
  private Packing() {}

  /** Packs {@code examples}; an example longer than {@code maxLength} must have been truncated before. */
  public static List<SftSequence> bestFitDecreasing(List<SftSequence> examples, int maxLength) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      if (examples.get(i).length() > maxLength) {
        throw new IllegalArgumentException("example " + i + " has " + examples.get(i).length()
            + " tokens, more than max_length " + maxLength + "; truncate before packing");
      }
      order.add(i);
    }
    // stable: equal lengths keep input order, so packing is deterministic
    order.sort(Comparator.comparingInt((Integer i) -> examples.get(i).length()).reversed());
    List<List<SftSequence>> bins = new ArrayList<>();
    List<Integer> used = new ArrayList<>();
    // remaining room -> bins with that room (lowest index first)
    TreeMap<Integer, java.util.ArrayDeque<Integer>> byRoom = new TreeMap<>();
    for (int i : order) {
      SftSequence e = examples.get(i);
      var entry = byRoom.ceilingEntry(e.length());
      int bin;
      if (entry == null) {
        bin = bins.size();
        bins.add(new ArrayList<>());
        used.add(0);
      } else {
        bin = entry.getValue().pollFirst();
        if (entry.getValue().isEmpty()) {
          byRoom.remove(entry.getKey());
        }
      }
      bins.get(bin).add(e);
      used.set(bin, used.get(bin) + e.length());
      int room = maxLength - used.get(bin);
      if (room > 0) {
        byRoom.computeIfAbsent(room, k -> new java.util.ArrayDeque<>()).addLast(bin);
      }
    }
    List<SftSequence> out = new ArrayList<>();
    for (List<SftSequence> bin : bins) {
      out.add(concat(bin));
    }
    return out;
  }

  static SftSequence concat(List<SftSequence> docs) {
    int n = docs.stream().mapToInt(SftSequence::length).sum();
    int[] ids = new int[n];
    int[] mask = new int[n];
    int[] pos = new int[n];
    int[] doc = new int[n];
    int at = 0;
    for (int d = 0; d < docs.size(); d++) {
      SftSequence s = docs.get(d);
      for (int i = 0; i < s.length(); i++) {
        ids[at] = s.inputIds()[i];
        mask[at] = s.lossMask()[i];
        pos[at] = i;
        doc[at] = d;
        at++;
      }
    }
    return new SftSequence(ids, mask, pos, doc);
  }
}
