/** Markdown tables and PNG charts (XChart, headless) for evaluation results and training curves. */
package dev.zephyr.eval.report;
