/**
 * Cleaning of dSFT conversations with counts reported ({@link dev.zephyr.data.clean.CleaningReport}): the
 * {@code ultrachat_200k} fixes (truecasing sentence starts, dropping "I do not have emotions/opinions" answers), exact
 * and MinHash near-duplicate removal, and n-gram decontamination against MT-Bench and AlpacaEval prompts.
 */
package dev.zephyr.data.clean;
