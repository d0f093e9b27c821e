package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.core.progress.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Log lines printed while a progress bar is drawn come out whole, on their own line, and the bar carries on. */
class ProgressAwareConsoleAppenderTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private PrintStream realErr;
  private LoggerContext context;
  private Logger log;

  @BeforeEach
  void logToCapturedStderr() {
    realErr = System.err;
    System.setErr(console); // the appender's System.err target resolves the stream at each write
    context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%-5level %msg%n");
    encoder.start();
    ProgressAwareConsoleAppender<ILoggingEvent> appender = new ProgressAwareConsoleAppender<>();
    appender.setContext(context);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    log = context.getLogger("test");
    log.addAppender(appender);
  }

  @AfterEach
  void restore() {
    context.stop();
    System.setErr(realErr);
  }

  private String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aLogLineDuringABarIsPrintedOnItsOwnLineAndTheBarResumesBelowIt() throws Exception {
    Progress bars = ConsoleProgress.bar(console, 100);
    try (Progress.Task task = bars.start("train", "steps", 10, 0)) {
      task.advance(5);
      awaitBarShowing("5/10 steps");
      log.warn("checkpoint saved");
      task.advance(1);
      awaitBarShowing("6/10 steps");
    }
    String out = text();
    String line = "WARN  checkpoint saved\n";
    int at = out.indexOf(line);
    String before = out.substring(0, at);
    String after = out.substring(at + line.length());
    // the bar's text was blanked out before the log line, which starts at the beginning of the line
    String shown = before.substring(0, before.length() - 1);
    shown = shown.substring(0, shown.lastIndexOf('\r'));
    shown = shown.substring(shown.lastIndexOf('\r') + 1);
    assertThat(shown).contains("5/10 steps");
    assertThat(before).endsWith(shown + "\r" + " ".repeat(shown.length()) + "\r");
    // below the log line the bar is drawn again and carries on in place until it ends with one line break
    assertThat(after).startsWith("\r" + shown).endsWith("\n");
    assertThat(after.substring(0, after.length() - 1)).doesNotContain("\n").contains("6/10 steps");
    assertThat(out.substring(out.lastIndexOf('\r') + 1)).startsWith("train  60% [");
  }

  @Test
  void withPlainProgressLogLinesAndProgressLinesAlternateWhole() {
    AtomicLong clock = new AtomicLong();
    Progress lines = ConsoleProgress.plain(console, clock::get);
    try (Progress.Task task = lines.start("judge", "calls", 4, 0)) {
      clock.addAndGet(1_000_000_000L);
      task.advance(1);
      log.warn("judge call failed, retrying");
      clock.addAndGet(1_000_000_000L);
      task.advance(1);
    }
    assertThat(text()).doesNotContain("\r");
    assertThat(text().split("\n")).containsExactly(
        "judge   0% 0/4 calls",
        "judge  25% 1/4 calls 1.00 calls/s ETA 00:03",
        "WARN  judge call failed, retrying",
        "judge  50% 2/4 calls 1.00 calls/s ETA 00:02");
  }

  @Test
  void withoutABarTheAppenderWritesLikeAConsoleAppender() {
    log.error("plain error");
    assertThat(text()).isEqualTo("ERROR plain error\n");
  }

  private void awaitBarShowing(String needle) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      String s = text();
      String last = s.substring(s.lastIndexOf('\r') + 1);
      if (s.contains("\r") && last.contains(needle)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the bar never showed " + needle + ": " + text());
  }
}
