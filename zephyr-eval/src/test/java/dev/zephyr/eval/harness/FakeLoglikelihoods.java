package dev.zephyr.eval.harness;

import dev.zephyr.eval.mc.Loglikelihood;
import dev.zephyr.eval.mc.LoglikelihoodModel;
import dev.zephyr.eval.mc.LoglikelihoodRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Answers by continuation from a table (a continuation not in it scores {@code fallback}), records every request,
 * and can fail on a chosen call to stand in for a killed run.
 */
final class FakeLoglikelihoods implements LoglikelihoodModel {
  final List<LoglikelihoodRequest> seen = new ArrayList<>();
  private final Map<String, Double> byContinuation;
  private final double fallback;
  private int callsBeforeFailure = Integer.MAX_VALUE;

  FakeLoglikelihoods(Map<String, Double> byContinuation, double fallback) {
    this.byContinuation = byContinuation;
    this.fallback = fallback;
  }

  FakeLoglikelihoods failingAfter(int calls) {
    callsBeforeFailure = calls;
    return this;
  }

  @Override
  public List<Loglikelihood> loglikelihood(List<LoglikelihoodRequest> requests) {
    if (callsBeforeFailure-- <= 0) {
      throw new IllegalStateException("killed");
    }
    seen.addAll(requests);
    List<Loglikelihood> out = new ArrayList<>();
    for (LoglikelihoodRequest r : requests) {
      // a context-dependent part, so a cache that ignored the context would be caught
      double ll = byContinuation.getOrDefault(r.continuation(), fallback) - 1e-6 * r.context().length();
      out.add(new Loglikelihood(ll, false));
    }
    return out;
  }
}
