/**
 * Progress of long loops. {@link dev.zephyr.core.progress.Progress} is what loops report to (training steps,
 * reference log-probs, data preparation, generation, judging, feedback collection); its default everywhere is
 * {@link dev.zephyr.core.progress.Progress#NONE}. {@link dev.zephyr.core.progress.ConsoleProgress#stderr()} draws the
 * reports as a bar on a terminal and elsewhere as one plain line per percent (at most one a second, and the last);
 * {@link dev.zephyr.core.progress.ConsoleLine} lets other console output pass above an active bar.
 */
package dev.zephyr.core.progress;
