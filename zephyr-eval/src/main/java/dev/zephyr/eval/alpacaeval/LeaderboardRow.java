package dev.zephyr.eval.alpacaeval;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * A model's AlpacaEval leaderboard row, with alpaca_eval's column names. {@code length_controlled_winrate} and
 * {@code lc_standard_error} are null when no length-controlled fit was made; {@code lc_variant} names the GLM variant
 * that produced them (see {@link LengthControlledWinRate.Variant}).
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"name", "win_rate", "standard_error", "n_wins", "n_wins_base", "n_draws", "n_total",
    "discrete_win_rate", "avg_length", "length_controlled_winrate", "lc_standard_error", "lc_variant"})
public record LeaderboardRow(
    String name,
    @JsonProperty("win_rate") double winRate,
    @JsonProperty("standard_error") double standardError,
    @JsonProperty("n_wins") int nWins,
    @JsonProperty("n_wins_base") int nWinsBase,
    @JsonProperty("n_draws") int nDraws,
    @JsonProperty("n_total") int nTotal,
    @JsonProperty("discrete_win_rate") double discreteWinRate,
    @JsonProperty("avg_length") int avgLength,
    @JsonProperty("length_controlled_winrate") Double lengthControlledWinrate,
    @JsonProperty("lc_standard_error") Double lcStandardError,
    @JsonProperty("lc_variant") String lcVariant) {

  /** This row with a length-controlled result attached. */
  public LeaderboardRow withLengthControlled(LengthControlledWinRate.Result lc) {
    return new LeaderboardRow(name, winRate, standardError, nWins, nWinsBase, nDraws, nTotal, discreteWinRate,
        avgLength, lc.winRate(), lc.standardError(), lc.variant().glmName());
  }
}
