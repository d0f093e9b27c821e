/**
 * ALMoST (Kim et al. 2023, naver-ai/ALMoST) synthetic feedback: query generation, prompted responses from generator
 * configurations, rule-of-thumb ranking ({@link dev.zephyr.data.almost.GeneratorConfig}), synthetic comparisons with
 * the heuristic length filter ({@link dev.zephyr.data.almost.HeuristicFilter}), an optional reward-model agreement
 * filter, and reward-model-guided self-play (best-of-N) for SFT demonstrations. Reward models plug in through
 * {@link dev.zephyr.data.almost.RewardScorer}.
 */
package dev.zephyr.data.almost;
