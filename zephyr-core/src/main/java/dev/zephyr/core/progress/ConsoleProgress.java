package dev.zephyr.core.progress;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;

/**
 * Draws progress on a console: on a terminal a bar redrawn in place (me.tongfei progressbar: percent, bar, count,
 * elapsed, ETA, rate, token rate and status); elsewhere (CI logs, pipes, files) one plain line when a task starts and
 * one each time its integer percent changes, with count, rate and ETA:
 *
 * <pre>
 * [zephyr/01-dsft] train  37% 148/400 steps 2.10 steps/s 5.3k tok/s ETA 02:00 loss 0.4312
 * </pre>
 *
 * Other console output should go through {@link ConsoleLine#printAbove} while a bar is drawn (the command line's log
 * appender does), so that it never splits the bar. Tasks with no units to do draw nothing.
 */
public final class ConsoleProgress implements Progress {
  /** System property (or environment variable {@code ZEPHYR_PROGRESS}) choosing {@code bar}, {@code plain} or {@code off}. */
  public static final String MODE_PROPERTY = "zephyr.progress";

  private final PrintStream out;
  private final boolean bar;
  private final int width;
  private final LongSupplier nanoClock;

  private ConsoleProgress(PrintStream out, boolean bar, int width, LongSupplier nanoClock) {
    this.out = out;
    this.bar = bar;
    this.width = width;
    this.nanoClock = nanoClock;
  }

  /**
   * Progress on the error stream: a bar when the error stream is a terminal, plain lines otherwise; the
   * {@value #MODE_PROPERTY} system property or the {@code ZEPHYR_PROGRESS} environment variable ({@code bar},
   * {@code plain}, {@code off}) overrides the choice.
   */
  public static Progress stderr() {
    String mode = System.getProperty(MODE_PROPERTY, System.getenv("ZEPHYR_PROGRESS"));
    String m = mode == null ? "auto" : mode.strip().toLowerCase(Locale.ROOT);
    return switch (m) {
      case "off", "none", "false" -> Progress.NONE;
      case "bar" -> bar(System.err);
      case "plain" -> plain(System.err);
      default -> stderrIsTerminal() ? bar(System.err) : plain(System.err);
    };
  }

  /** A bar redrawn in place on {@code out}, as wide as the terminal. */
  public static ConsoleProgress bar(PrintStream out) {
    // progressbar's own console consumer knows the terminal's width; it writes nothing until used
    int width = new ConsoleProgressBarConsumer(out).getMaxRenderedLength();
    return new ConsoleProgress(out, true, Math.max(40, width), System::nanoTime);
  }

  /** A bar of {@code width} characters on {@code out} (tests, fixed-width consoles). */
  public static ConsoleProgress bar(PrintStream out, int width) {
    return new ConsoleProgress(out, true, width, System::nanoTime);
  }

  /** Plain lines on {@code out}, one per integer percent. */
  public static ConsoleProgress plain(PrintStream out) {
    return plain(out, System::nanoTime);
  }

  /** Plain lines with rates measured by {@code nanoClock} (a fake clock in tests). */
  public static ConsoleProgress plain(PrintStream out, LongSupplier nanoClock) {
    return new ConsoleProgress(out, false, 0, nanoClock);
  }

  @Override
  public Task start(String task, String unit, long total, long alreadyDone) {
    if (total <= 0) {
      return Task.NONE;
    }
    return bar ? new BarTask(out, width, nanoClock, task, unit, total, alreadyDone)
        : new PlainLineTask(out, nanoClock, task, unit, total, alreadyDone);
  }

  /**
   * Whether the error stream is a terminal: on Linux from what file descriptor 2 points to (so that
   * {@code 2> file} counts as a file even when stdout is a terminal), elsewhere from {@link System#console()}.
   */
  static boolean stderrIsTerminal() {
    if ("dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    Path fd = Path.of("/proc/self/fd/2");
    if (Files.exists(fd, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      try {
        String target = Files.readSymbolicLink(fd).toString();
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
      } catch (IOException | UnsupportedOperationException e) {
        // fall back on the console check
      }
    }
    Console console = System.console();
    return console != null && consoleIsTerminal(console);
  }

  /** {@code Console.isTerminal()} where it exists (JDK 22+, where a console is returned for pipes too). */
  private static boolean consoleIsTerminal(Console console) {
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // before JDK 22 a console exists only on a terminal
    }
  }
}
