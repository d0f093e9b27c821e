/**
 * The evaluations a pipeline runs, as ready implementations of core's {@link dev.zephyr.core.eval.Evaluation}: MT-Bench
 * single-answer grading ({@link dev.zephyr.eval.stage.MtBenchEvaluation}), AlpacaEval against reference outputs
 * ({@link dev.zephyr.eval.stage.AlpacaEvalEvaluation}) and multiple-choice log-likelihood accuracy
 * ({@link dev.zephyr.eval.stage.McEvaluation}, which opens the model directory under test itself), each built from its own settings record, which owns and checks
 * its keys. {@link dev.zephyr.eval.stage.Evaluations#of} builds one by its recipe name.
 */
package dev.zephyr.eval.stage;
