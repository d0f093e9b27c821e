/**
 * Progress of long loops. {@link dev.zephyr.core.progress.Progress} is what loops report to (training steps,
 * reference log-probs, data preparation, generation, judging, feedback collection); its default everywhere is
 * {@link dev.zephyr.core.progress.Progress#NONE}. {@link dev.zephyr.core.progress.ConsoleProgress#stderr()} draws the
 * reports as a bar on a terminal and as one plain line per percent elsewhere;
 * {@link dev.zephyr.core.progress.ConsoleLine} lets other console output pass above an active bar.
 */
package dev.zephyr.core.progress;
