/**
 * AlpacaEval as tatsu-lab/alpaca_eval runs it: {@code model_outputs.json} and {@code annotations.json}, the pairwise
 * judge with CPython-exact position switching, the log-prob and ranking parsers, the leaderboard metrics and the
 * length-controlled win rate GLM.
 */
package dev.zephyr.eval.alpacaeval;
