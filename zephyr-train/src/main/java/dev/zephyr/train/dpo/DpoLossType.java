package dev.zephyr.train.dpo;

import java.util.Arrays;
import java.util.Locale;

/**
 * DPO-family losses under TRL's {@code loss_type} names. Notation: c and r are the summed policy-minus-reference
 * log-ratios of the chosen and rejected completions, d = c - r, n+ and n- their completion token counts, beta the
 * temperature, eps {@code label_smoothing}.
 */
public enum DpoLossType {
  /** -log sigmoid(beta d): the DPO paper's loss. */
  SIGMOID("sigmoid"),
  /** max(0, 1 - beta d) (RSO / SLiC); beta acts as 1/margin. */
  HINGE("hinge"),
  /** ((c/n+ - r/n-) - 1/(2 beta))^2, length-averaged as the IPO authors define it. */
  IPO("ipo"),
  /** [-(1-eps) log sigmoid(beta d) + eps log sigmoid(-beta d)] / (1 - 2 eps): unbiased under label noise eps. */
  ROBUST("robust"),
  /** Token-mean negative log-likelihood of the chosen completions (RPO's extra term, TRL's old rpo_alpha). */
  SFT("sft"),
  /** (1 - sigmoid(beta c)) + sigmoid(beta r): raise chosen, lower rejected likelihood (APO-zero). */
  APO_ZERO("apo_zero"),
  /** sigmoid(beta c) + (1 - sigmoid(beta d)): lower both, rejected more (APO-down). */
  APO_DOWN("apo_down"),
  /** -log sigmoid(beta (c/n+ - r/n-)): length-normalised sigmoid. */
  SIGMOID_NORM("sigmoid_norm"),
  /** -log sigmoid(beta c) - 0.5 log sigmoid(-beta c) - 0.5 log sigmoid(-beta r) (NCA). */
  NCA_PAIR("nca_pair"),
  /** -log sigmoid(beta c) - log sigmoid(-beta r) (BCO, pair form, no running mean as in TRL 1.x). */
  BCO_PAIR("bco_pair"),
  /** (c - 1/(2 beta))^2 + (r + 1/(2 beta))^2 (SPPO, hard labels). */
  SPPO_HARD("sppo_hard");

  private final String trlName;

  DpoLossType(String trlName) {
    this.trlName = trlName;
  }

  public String trlName() {
    return trlName;
  }

  /** Parses a TRL {@code loss_type} name; the error lists the supported names. */
  public static DpoLossType fromTrlName(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (DpoLossType t : values()) {
      if (t.trlName.equals(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unsupported loss_type '" + name + "', expected one of "
        + Arrays.stream(values()).map(DpoLossType::trlName).toList());
  }
}
