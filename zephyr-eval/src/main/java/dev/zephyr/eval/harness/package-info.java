/**
 * The Open LLM Leaderboard benchmarks as lm-evaluation-harness builds and scores them: ARC (Challenge, Easy),
 * HellaSwag, MMLU (57 subjects and its groups) and TruthfulQA MC1/MC2, with lm-eval's few-shot prompts and seeded
 * sampler, its metrics and standard errors, a resumable request cache, and results in lm-eval's JSON shape.
 */
package dev.zephyr.eval.harness;
