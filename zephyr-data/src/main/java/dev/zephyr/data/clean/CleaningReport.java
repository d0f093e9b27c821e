package dev.zephyr.data.clean;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * What cleaning did, stage by stage. Counts are records (conversations), except {@code truecased_messages}.
 *
 * @param input records read
 * @param truecasedRecords records in which at least one message was truecased (they are kept)
 * @param truecasedMessages messages changed by truecasing
 * @param personaAnswers records dropped because an assistant turn disclaims emotions or opinions
 * @param exactDuplicates records dropped as exact duplicates of an earlier record
 * @param nearDuplicates records dropped as near duplicates of an earlier record
 * @param contaminated records dropped because a user turn overlaps an evaluation prompt
 * @param contaminatedBySource contaminated records per benchmark ({@code mt_bench}, {@code alpaca_eval})
 * @param output records written
 */
public record CleaningReport(
    @JsonProperty("input") int input,
    @JsonProperty("truecased_records") int truecasedRecords,
    @JsonProperty("truecased_messages") int truecasedMessages,
    @JsonProperty("persona_answers") int personaAnswers,
    @JsonProperty("exact_duplicates") int exactDuplicates,
    @JsonProperty("near_duplicates") int nearDuplicates,
    @JsonProperty("contaminated") int contaminated,
    @JsonProperty("contaminated_by_source") Map<String, Integer> contaminatedBySource,
    @JsonProperty("output") int output) {

  public CleaningReport {
    contaminatedBySource = contaminatedBySource == null ? Map.of() : Map.copyOf(contaminatedBySource);
  }

  /** One line per stage, for the console. */
  public String summary() {
    return String.format(java.util.Locale.ROOT,
        "cleaning: %d in, %d truecased (%d messages), -%d persona answers, -%d exact duplicates, "
            + "-%d near duplicates, -%d contaminated %s, %d out",
        input, truecasedRecords, truecasedMessages, personaAnswers, exactDuplicates, nearDuplicates, contaminated,
        new java.util.TreeMap<>(contaminatedBySource), output);
  }
}
