package dev.zephyr.cli;

import ch.qos.logback.core.ConsoleAppender;
import dev.zephyr.core.progress.ConsoleLine;

/**
 * A logback console appender that never splits a progress bar: while a bar is drawn on the console, each log line
 * erases the bar line, prints itself on its own line and lets the bar draw again below it. Without a bar it behaves
 * as {@link ConsoleAppender}. Referenced from {@code logback.xml}.
 *
 * @param <E> the logging event type
 */
public class ProgressAwareConsoleAppender<E> extends ConsoleAppender<E> {

  @Override
  protected void subAppend(E event) {
    ConsoleLine.printAbove(() -> super.subAppend(event));
  }
}
