package dev.zephyr.train;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The WARN lines a class logs while something runs, for tests that assert what users are told. */
public final class WarnLines {
  private WarnLines() {}

  /** The formatted WARN messages of {@code source}'s logger during {@code run}. */
  public static List<String> during(Class<?> source, Runnable run) {
    Logger logger = (Logger) LoggerFactory.getLogger(source);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    try {
      run.run();
    } finally {
      logger.detachAppender(events);
    }
    return events.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
        .toList();
  }
}
