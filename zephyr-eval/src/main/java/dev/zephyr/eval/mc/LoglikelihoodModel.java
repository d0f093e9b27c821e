package dev.zephyr.eval.mc;

import java.util.List;

/** A model that scores continuations; results come back in request order. */
public interface LoglikelihoodModel {
  /** Scores every request (implementations batch as they see fit). */
  List<Loglikelihood> loglikelihood(List<LoglikelihoodRequest> requests);
}
