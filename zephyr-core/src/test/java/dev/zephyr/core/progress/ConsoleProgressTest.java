package dev.zephyr.core.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  /** A fake clock in nanoseconds. */
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private List<String> lines() {
    return List.of(text().split("\n"));
  }

  private void seconds(double s) {
    now.addAndGet((long) (s * 1e9));
  }

  @Test
  void plainPrintsOneLineAtStartAndOnePerPercentWithCountRateAndEta() {
    Progress p = ConsoleProgress.plain(out, now::get);
    try (Progress.Task t = p.start("train", "steps", 400, 0)) {
      for (int i = 0; i < 400; i++) {
        seconds(0.5);
        t.advance(1);
      }
    }
    List<String> lines = lines();
    assertThat(text()).doesNotContain("\r");
    assertThat(lines).hasSize(101);
    for (int pct = 0; pct <= 100; pct++) {
      assertThat(lines.get(pct)).startsWith(String.format("train %3d%% %d/400 steps", pct, pct * 4));
    }
    assertThat(lines.get(0)).isEqualTo("train   0% 0/400 steps");
    // 148 steps in 74 s: 2 steps/s, 252 left -> 126 s
    assertThat(lines.get(37)).isEqualTo("train  37% 148/400 steps 2.00 steps/s ETA 02:06");
    assertThat(lines.get(100)).isEqualTo("train 100% 400/400 steps 2.00 steps/s in 03:20");
  }

  @Test
  void plainShowsTokenRateAndStatus() {
    Progress p = ConsoleProgress.plain(out, now::get);
    try (Progress.Task t = p.start("train", "steps", 10, 0)) {
      seconds(2);
      t.status("loss 0.4312");
      t.advance(1, 6000);
    }
    assertThat(lines()).containsExactly(
        "train   0% 0/10 steps",
        "train  10% 1/10 steps 0.50 steps/s 3.0k tok/s ETA 00:18 loss 0.4312");
  }

  @Test
  void resumedTaskStartsAtAlreadyDoneAndRatesOnlyNewWork() {
    Progress p = ConsoleProgress.plain(out, now::get);
    try (Progress.Task t = p.start("train", "steps", 400, 100)) {
      for (int i = 0; i < 4; i++) {
        seconds(0.5);
        t.advance(1);
      }
    }
    // 4 new steps in 2 s: 2 steps/s over the 296 left
    assertThat(lines()).containsExactly(
        "train  25% 100/400 steps",
        "train  26% 104/400 steps 2.00 steps/s ETA 02:28");
  }

  @Test
  void aJumpOverSeveralPercentsPrintsOneLineAndSmallStepsWithinAPercentNone() {
    Progress p = ConsoleProgress.plain(out, now::get);
    try (Progress.Task t = p.start("judge", "calls", 1000, 0)) {
      seconds(1);
      t.advance(5); // still 0%
      seconds(1);
      t.advance(95); // 10%
    }
    assertThat(lines()).containsExactly(
        "judge   0% 0/1000 calls",
        "judge  10% 100/1000 calls 50.0 calls/s ETA 00:18");
  }

  @Test
  void scopesPrefixTaskNamesAndNothingIsDrawnForAnEmptyTask() {
    Progress p = ConsoleProgress.plain(out, now::get).scoped("zephyr").scoped("01-dsft");
    try (Progress.Task t = p.start("train", "steps", 0, 0)) {
      t.advance(3);
    }
    assertThat(text()).isEmpty();
    try (Progress.Task t = p.start("train", "steps", 2, 0)) {
      seconds(1);
      t.advance(2);
    }
    assertThat(lines()).containsExactly(
        "[zephyr/01-dsft] train   0% 0/2 steps",
        "[zephyr/01-dsft] train 100% 2/2 steps 2.00 steps/s in 00:01");
  }

  @Test
  void concurrentReportsCountEveryUnit() throws Exception {
    Progress p = ConsoleProgress.plain(out, now::get);
    try (Progress.Task t = p.start("aif", "calls", 4000, 0)) {
      List<Thread> threads = new ArrayList<>();
      for (int k = 0; k < 4; k++) {
        Thread th = new Thread(() -> {
          for (int i = 0; i < 1000; i++) {
            t.advance(1);
          }
        });
        threads.add(th);
        th.start();
      }
      for (Thread th : threads) {
        th.join();
      }
    }
    // no time passes on the fake clock: the first line, then the last
    List<String> lines = lines();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1)).startsWith("aif 100% 4000/4000 calls");
  }

  @Test
  void aQuickTaskPrintsAtMostOneLineASecondAndAlwaysTheLast() {
    Progress p = ConsoleProgress.plain(out, now::get);
    try (Progress.Task t = p.start("tokenize", "rows", 400, 0)) {
      for (int i = 0; i < 400; i++) {
        seconds(0.01); // 4 s in all, a percent every 0.04 s
        t.advance(1);
      }
    }
    assertThat(lines()).containsExactly(
        "tokenize   0% 0/400 rows",
        "tokenize  25% 100/400 rows 100 rows/s ETA 00:03",
        "tokenize  50% 200/400 rows 100 rows/s ETA 00:02",
        "tokenize  75% 300/400 rows 100 rows/s ETA 00:01",
        "tokenize 100% 400/400 rows 100 rows/s in 00:04");
  }

  @Test
  void noneAndItsScopesReportNothing() {
    assertThat(Progress.NONE.scoped("x")).isSameAs(Progress.NONE);
    assertThat(Progress.NONE.start("t", "u", 10, 0)).isSameAs(Progress.Task.NONE);
  }

  @Test
  void formatsDurationsAndRates() {
    assertThat(ProgressLine.duration(59.4)).isEqualTo("00:59");
    assertThat(ProgressLine.duration(3725)).isEqualTo("1:02:05");
    assertThat(ProgressLine.rate(0.0421)).isEqualTo("0.042");
    assertThat(ProgressLine.rate(123.4)).isEqualTo("123");
    assertThat(ProgressLine.count(1_234_567)).isEqualTo("1.2M");
    assertThat(ProgressLine.percent(999, 1000)).isEqualTo(99);
    assertThat(ProgressLine.percent(1001, 1000)).isEqualTo(100);
  }

  @Test
  void aBarIsRedrawnOnOneLineAndLinesPrintedAboveItLeaveItWhole() throws Exception {
    Progress p = ConsoleProgress.bar(out, 100);
    try (Progress.Task t = p.start("train", "steps", 10, 4)) {
      t.advance(1);
      t.status("loss 0.5");
      awaitDrawn("5/10");
      assertThat(ConsoleLine.barActive()).isTrue();
      ConsoleLine.printAbove(() -> out.println("12:00:00.000 WARN  a log line"));
    }
    assertThat(ConsoleLine.barActive()).isFalse();
    String all = text();
    String log = "12:00:00.000 WARN  a log line\n";
    int at = all.indexOf(log);
    String before = all.substring(0, at);
    String after = all.substring(at + log.length());
    // before the log line the bar's last text was blanked out and the cursor sent back to the line's start
    String shown = before.substring(0, before.length() - 1);
    shown = shown.substring(0, shown.lastIndexOf('\r'));
    shown = shown.substring(shown.lastIndexOf('\r') + 1);
    assertThat(before).endsWith(shown + "\r" + " ".repeat(shown.length()) + "\r");
    assertThat(shown).contains("5/10 steps");
    // after it the same text is drawn again, on the line below, and the bar ends with one line break
    assertThat(after).startsWith("\r" + shown).endsWith("\n");
    assertThat(after.substring(0, after.length() - 1)).doesNotContain("\n");
    // resumed from step 4: the bar starts there, and the final line carries the count and the status
    String last = lastDrawn(all.substring(0, all.length() - 1));
    assertThat(last).startsWith("train  50% [").contains("5/10 steps").contains("loss 0.5");
  }

  /** The text after the last carriage return. */
  private static String lastDrawn(String s) {
    return s.substring(s.lastIndexOf('\r') + 1);
  }

  private void awaitDrawn(String needle) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      String s = text();
      if (s.contains("\r") && lastDrawn(s).contains(needle)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("bar never drew " + needle + ": " + text());
  }
}
