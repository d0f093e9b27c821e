/**
 * MT-Bench as FastChat's {@code llm_judge} runs it: questions, judge prompts and reference answers from a
 * FastChat-layout directory; answer generation; single and pairwise judging with FastChat's prompts, parsing and file
 * formats; {@code show_result} arithmetic.
 */
package dev.zephyr.eval.mtbench;
