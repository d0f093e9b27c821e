package dev.zephyr.train.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The verdict of {@code scripts/bench-vs-torch}: zephyr's and {@code torch_reference.py bench}'s JSON lines of runs
 * taken alternately (zephyr, peer, zephyr, peer, ...), turned into the median of the per-round ratios of
 * {@code tokens_per_s}. A ratio is refused (no number, a reason) when it would not mean anything: a peer whose GEMM
 * peak is under {@link #MIN_PEER_GEMM_GFLOPS} (the reference BLAS instead of OpenBLAS), or two sides that did not run
 * the same work (parameter count, tokens per step, libtorch threads or mode differ).
 *
 * @param zephyr zephyr's lines, in the order run
 * @param peer the peer's lines, in the order run; as many as zephyr's
 */
public record BenchComparison(List<JsonNode> zephyr, List<JsonNode> peer) {
  /** Below this peer GEMM peak (GFLOP/s) the peer is on a broken BLAS and a ratio against it is meaningless. */
  public static final double MIN_PEER_GEMM_GFLOPS = 50;

  public BenchComparison {
    zephyr = List.copyOf(zephyr);
    peer = List.copyOf(peer);
    if (zephyr.isEmpty() || zephyr.size() != peer.size()) {
      throw InvalidInputException.field("bench comparison", "runs", "expected the same positive number of zephyr"
          + " and peer runs, got " + zephyr.size() + " and " + peer.size());
    }
    for (List<JsonNode> side : List.of(zephyr, peer)) {
      for (JsonNode j : side) {
        for (String key : new String[] {"tokens_per_s", "params", "tokens_per_step", "threads", "gemm_gflops"}) {
          if (!j.path(key).isNumber()) {
            throw InvalidInputException.field("bench comparison", key, "missing or not a number in " + j);
          }
        }
      }
    }
  }

  /** The outcome: the median ratio, or the reason there is none. */
  public record Verdict(double medianRatio, String refusal) {
    public boolean refused() {
      return refusal != null;
    }
  }

  /** zephyr's tokens/s over the peer's in round {@code i}. */
  public double ratio(int i) {
    return zephyr.get(i).get("tokens_per_s").asDouble() / peer.get(i).get("tokens_per_s").asDouble();
  }

  /** The median per-round ratio, or a refusal naming what is wrong. */
  public Verdict verdict() {
    for (int i = 0; i < peer.size(); i++) {
      double gemm = peer.get(i).get("gemm_gflops").asDouble();
      if (gemm < MIN_PEER_GEMM_GFLOPS) {
        return refuse(String.format(Locale.ROOT, "the peer's gemm_gflops in round %d is %.1f, under %.0f: its torch"
            + " runs on a reference BLAS (install libopenblas0-pthread) or the machine is swamped", i + 1, gemm,
            MIN_PEER_GEMM_GFLOPS));
      }
    }
    for (String key : new String[] {"params", "tokens_per_step", "threads"}) {
      for (int i = 0; i < peer.size(); i++) {
        long z = zephyr.get(i).get(key).asLong();
        long p = peer.get(i).get(key).asLong();
        if (z != p) {
          return refuse(String.format(Locale.ROOT, "%s differs in round %d: zephyr %d, peer %d; compare the same"
              + " work", key, i + 1, z, p));
        }
      }
    }
    String zm = zephyr.get(0).path("mode").asText();
    String pm = peer.get(0).path("mode").asText();
    if (!zm.equals(pm)) {
      return refuse("mode differs: zephyr " + zm + ", peer " + pm);
    }
    double[] ratios = new double[zephyr.size()];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = ratio(i);
    }
    return new Verdict(median(ratios), null);
  }

  /** The report: one line per run in the order run, then the median ratio or the refusal. */
  public List<String> report() {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < zephyr.size(); i++) {
      lines.add(runLine(i + 1, "zephyr", zephyr.get(i)));
      lines.add(runLine(i + 1, "peer", peer.get(i)));
    }
    Verdict v = verdict();
    if (v.refused()) {
      lines.add("no ratio: " + v.refusal());
    } else {
      StringBuilder per = new StringBuilder();
      for (int i = 0; i < zephyr.size(); i++) {
        per.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", ratio(i)));
      }
      String autocast = peer.get(0).path("autocast").asText("off");
      lines.add(String.format(Locale.ROOT, "median ratio zephyr/peer (tokens_per_s, peer autocast %s): %.3f"
          + " (rounds: %s)", autocast, v.medianRatio(), per));
    }
    return lines;
  }

  private static String runLine(int round, String side, JsonNode j) {
    return String.format(Locale.ROOT, "round %d %-6s tokens_per_s %10.1f  step_s %s  gemm_gflops %6.1f  threads %d"
        + "  %s", round, side, j.get("tokens_per_s").asDouble(), j.path("step_s").asText("?"),
        j.get("gemm_gflops").asDouble(), j.get("threads").asInt(), j.path("impl").asText(""));
  }

  private static Verdict refuse(String why) {
    return new Verdict(Double.NaN, why);
  }

  static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
