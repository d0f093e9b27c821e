package dev.zephyr.core.progress;

import java.io.PrintStream;
import me.tongfei.progressbar.ProgressBarConsumer;

/**
 * Draws one progress bar's text on the console's last line with a carriage return, under the {@link ConsoleLine}
 * lock, and remembers it so that {@link ConsoleLine#printAbove} can erase and redraw it around other output.
 */
final class BarLine implements ProgressBarConsumer {
  private final PrintStream out;
  private final int width;
  private String drawn = "";
  private boolean closed;

  BarLine(PrintStream out, int width) {
    this.out = out;
    this.width = width;
  }

  @Override
  public int getMaxRenderedLength() {
    return width;
  }

  @Override
  public void accept(String rendered) {
    synchronized (ConsoleLine.lock()) {
      if (closed || !ConsoleLine.isInnermost(this)) {
        return; // an inner task owns the line until it ends
      }
      String line = rendered.length() > width ? rendered.substring(0, width) : rendered;
      // pad over what a longer previous text left behind; the padded text is what erase() must cover
      String padded = line + " ".repeat(Math.max(0, drawn.length() - line.length()));
      out.print("\r" + padded);
      out.flush();
      drawn = padded;
    }
  }

  /** Blanks the line and returns the cursor to its start. */
  void erase() {
    if (!drawn.isEmpty()) {
      out.print("\r" + " ".repeat(drawn.length()) + "\r");
      out.flush();
    }
  }

  /** Draws the last text again (after {@link #erase} and whole lines printed above). */
  void redraw() {
    if (!drawn.isEmpty()) {
      out.print("\r" + drawn);
      out.flush();
    }
  }

  /** Leaves the final text on its own line and hands the console line back. */
  @Override
  public void close() {
    synchronized (ConsoleLine.lock()) {
      if (closed) {
        return;
      }
      closed = true;
      if (!drawn.isEmpty()) {
        out.println();
        out.flush();
      }
      ConsoleLine.remove(this);
    }
  }
}
