package dev.zephyr.train.export;

import dev.zephyr.core.InvalidInputException;

/**
 * A stage setting the alignment-handbook's scripts (with the TRL line they pin) cannot express: the export fails
 * naming the stage and the key, unless partial exports are allowed.
 */
public final class Inexpressible extends InvalidInputException {
  private final String stage;
  private final String key;
  private final String why;

  Inexpressible(String stage, String key, String reason) {
    super("stage " + stage, 0, key, "cannot be expressed for the alignment-handbook scripts: " + reason
        + " (export-recipe --allow-partial leaves the stage out and lists it in " + HandbookExport.NOTES + ")");
    this.stage = stage;
    this.key = key;
    this.why = reason;
  }

  /** Why the key has no equivalent. */
  public String why() {
    return why;
  }

  /** The stage, by its directory name ({@code 03-ddpo}). */
  public String stage() {
    return stage;
  }

  /** The recipe key that has no equivalent. */
  public String key() {
    return key;
  }
}
