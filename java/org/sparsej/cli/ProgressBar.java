package org.sparsej.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr; on a non-terminal it prints a line every 10% instead of redrawing. */
final class ProgressBar {
  private static final int WIDTH = 30;
  private final String label;
  private final long total;
  private final PrintStream out = System.err;
  private final boolean terminal = System.console() != null;
  private final long start = System.nanoTime();
  private long lastDraw;
  private int lastDecile = -1;

  ProgressBar(String label, long total) {
    this.label = label;
    this.total = Math.max(1, total);
  }

  void update(long done, String detail) {
    double fraction = Math.min(1.0, (double) done / total);
    long now = System.nanoTime();
    if (terminal) {
      if (now - lastDraw < 100_000_000L && done < total) {
        return;
      }
      lastDraw = now;
      int filled = (int) (fraction * WIDTH);
      out.printf("\r%s [%s%s] %3.0f%% %s  %.0fs ", label, "#".repeat(filled), " ".repeat(WIDTH - filled),
          fraction * 100, detail, (now - start) / 1e9);
    } else {
      int decile = (int) (fraction * 10);
      if (decile == lastDecile) {
        return;
      }
      lastDecile = decile;
      out.printf("%s %3.0f%% %s%n", label, fraction * 100, detail);
    }
  }

  /** A log line that does not garble the bar: on a terminal the bar's line is cleared first and redrawn later. */
  void log(String line) {
    if (terminal) {
      out.print("\r\033[K");
      lastDraw = 0;
    }
    out.println(line);
  }

  void finish(String detail) {
    update(total, detail);
    if (terminal) {
      out.println();
    }
  }
}
