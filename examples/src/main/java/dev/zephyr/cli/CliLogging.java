package dev.zephyr.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log level of one run: the configuration's (logback.xml: warnings and errors) unless {@code --verbose} asks for
 * INFO from zephyr's own loggers. Closing restores the previous level, so runs in one JVM (tests) do not leak into
 * each other. Does nothing when SLF4J is bound to something other than logback.
 */
final class CliLogging implements AutoCloseable {
  private static final String ZEPHYR_LOGGERS = "dev.zephyr";

  private final Logger logger;
  private final Level previous;

  private CliLogging(Logger logger, Level previous) {
    this.logger = logger;
    this.previous = previous;
  }

  static CliLogging forRun(boolean verbose) {
    if (verbose && LoggerFactory.getLogger(ZEPHYR_LOGGERS) instanceof Logger zephyr) {
      Level previous = zephyr.getLevel();
      zephyr.setLevel(Level.INFO);
      return new CliLogging(zephyr, previous);
    }
    return new CliLogging(null, null);
  }

  @Override
  public void close() {
    if (logger != null) {
      logger.setLevel(previous);
    }
  }
}
