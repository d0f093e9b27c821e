package dev.zephyr.data.clean;

import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.data.rows.SftRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Cleans dSFT conversations in this order: truecase sentence starts, drop conversations with persona answers ("I do
 * not have emotions"), drop exact duplicates, drop near duplicates, drop prompts that overlap evaluation prompts.
 * Each stage may be switched off by passing null (or false for truecasing). The first occurrence always wins.
 */
public final class DsftCleaner {
  private final boolean truecase;
  private final PersonaAnswerFilter personaFilter;
  private final boolean exactDedup;
  private final MinHashDeduplicator nearDedup;
  private final Decontaminator decontaminator;

  public DsftCleaner(boolean truecase, PersonaAnswerFilter personaFilter, boolean exactDedup,
      MinHashDeduplicator nearDedup, Decontaminator decontaminator) {
    this.truecase = truecase;
    this.personaFilter = personaFilter;
    this.exactDedup = exactDedup;
    this.nearDedup = nearDedup;
    this.decontaminator = decontaminator;
  }

  /** Cleaned records and what was done. */
  public record Result(List<SftRecord> records, CleaningReport report) {}

  public Result clean(List<SftRecord> input) {
    int truecasedRecords = 0;
    int truecasedMessages = 0;
    List<SftRecord> stage = new ArrayList<>();
    for (SftRecord r : input) {
      if (!truecase) {
        stage.add(r);
        continue;
      }
      List<Message> fixed = new ArrayList<>();
      int changed = 0;
      for (Message m : r.messages()) {
        String t = Truecaser.apply(m.content());
        if (!t.equals(m.content())) {
          changed++;
        }
        fixed.add(new Message(m.role(), t));
      }
      if (changed > 0) {
        truecasedRecords++;
        truecasedMessages += changed;
        stage.add(SftRecord.of(fixed));
      } else {
        stage.add(r);
      }
    }

    int persona = 0;
    if (personaFilter != null) {
      List<SftRecord> kept = new ArrayList<>();
      for (SftRecord r : stage) {
        boolean bad = r.messages().stream()
            .anyMatch(m -> m.role() == Role.ASSISTANT && personaFilter.match(m.content()).isPresent());
        if (bad) {
          persona++;
        } else {
          kept.add(r);
        }
      }
      stage = kept;
    }

    int exact = 0;
    if (exactDedup) {
      Set<String> seen = new HashSet<>();
      List<SftRecord> kept = new ArrayList<>();
      for (SftRecord r : stage) {
        if (seen.add(exactKey(r))) {
          kept.add(r);
        } else {
          exact++;
        }
      }
      stage = kept;
    }

    int near = 0;
    if (nearDedup != null) {
      List<String> texts = stage.stream().map(DsftCleaner::conversationText).toList();
      int[] dupOf = nearDedup.findDuplicates(texts);
      List<SftRecord> kept = new ArrayList<>();
      for (int i = 0; i < stage.size(); i++) {
        if (dupOf[i] < 0) {
          kept.add(stage.get(i));
        } else {
          near++;
        }
      }
      stage = kept;
    }

    int contaminated = 0;
    Map<String, Integer> bySource = new TreeMap<>();
    if (decontaminator != null) {
      List<SftRecord> kept = new ArrayList<>();
      for (SftRecord r : stage) {
        Optional<String> hit = Optional.empty();
        for (Message m : r.messages()) {
          if (m.role() == Role.USER) {
            hit = decontaminator.match(m.content());
            if (hit.isPresent()) {
              break;
            }
          }
        }
        if (hit.isPresent()) {
          contaminated++;
          bySource.merge(hit.get().substring(0, hit.get().indexOf(':') < 0 ? hit.get().length()
              : hit.get().indexOf(':')), 1, Integer::sum);
        } else {
          kept.add(r);
        }
      }
      stage = kept;
    }
    return new Result(List.copyOf(stage), new CleaningReport(input.size(), truecasedRecords, truecasedMessages,
        persona, exact, near, contaminated, bySource, stage.size()));
  }

  /** Roles and contents with whitespace runs collapsed and ends trimmed, hashed. */
  static String exactKey(SftRecord r) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Message m : r.messages()) {
        sha.update(m.role().wireName().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(m.content().replaceAll("\\s+", " ").strip().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 1);
      }
      return java.util.HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String conversationText(SftRecord r) {
    StringBuilder sb = new StringBuilder();
    for (Message m : r.messages()) {
      sb.append(m.content()).append('\n');
    }
    return sb.toString();
  }
}
