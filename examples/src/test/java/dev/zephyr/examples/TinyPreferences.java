package dev.zephyr.examples;

import java.nio.file.Files;
import java.nio.file.Path;

/** Test fixture: four preference pairs in the {@code ultrafeedback_binarized} layout. */
final class TinyPreferences {
  private TinyPreferences() {}

  /** Writes {@code dir/train_prefs.jsonl} and returns it. */
  static Path write(Path dir) throws Exception {
    StringBuilder rows = new StringBuilder();
    String[][] pairs = {{"2+2?", "4.", "5."}, {"Capital of France?", "Paris.", "Lyon."},
        {"Say hi.", "Hi!", "Go away."}, {"Colour of grass?", "Green.", "Purple."}};
    for (String[] p : pairs) {
      rows.append("""
          {"prompt": "%1$s", "prompt_id": "id-%1$s", "chosen": [{"role": "user", "content": "%1$s"}, \
          {"role": "assistant", "content": "%2$s"}], "rejected": [{"role": "user", "content": "%1$s"}, \
          {"role": "assistant", "content": "%3$s"}], "score_chosen": 9.0, "score_rejected": 2.0}
          """.formatted(p[0], p[1], p[2]));
    }
    return Files.writeString(dir.resolve("train_prefs.jsonl"), rows);
  }
}
