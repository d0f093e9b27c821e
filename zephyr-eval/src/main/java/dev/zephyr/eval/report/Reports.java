package dev.zephyr.eval.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.eval.alpacaeval.LeaderboardRow;
import dev.zephyr.eval.mtbench.MtBenchScores;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.RadarChart;
import org.knowm.xchart.RadarChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Markdown tables and PNG charts for evaluation results, rendered headless with XChart: the MT-Bench per-category
 * radar chart of the Zephyr paper, win-rate bars with standard-error bars, and training curves from a trainer's
 * metrics JSONL (TRL names: {@code step}, {@code loss}, {@code learning_rate}, {@code eval_loss}, ...).
 */
public final class Reports {
  /** Default image size. */
  public static final int WIDTH = 800;
  public static final int HEIGHT = 600;

  private Reports() {}

  // ---------------------------------------------------------------- MT-Bench

  /** Categories in the order they first appear across results. */
  public static List<String> categories(List<MtBenchScores.SingleResult> results) {
    Set<String> cats = new LinkedHashSet<>();
    results.forEach(r -> cats.addAll(r.categories().keySet()));
    return new ArrayList<>(cats);
  }

  /** model | score | turn 1 | turn 2 | one column per category; two decimals. */
  public static MarkdownTable mtBenchTable(List<MtBenchScores.SingleResult> results) {
    List<String> cats = categories(results);
    List<String> header = new ArrayList<>(List.of("model", "MT-Bench", "turn 1", "turn 2"));
    header.addAll(cats);
    MarkdownTable t = new MarkdownTable(header);
    for (MtBenchScores.SingleResult r : results) {
      List<String> row = new ArrayList<>(List.of(r.model(), f2(r.score()), f2(r.turn1()), f2(r.turn2())));
      for (String c : cats) {
        Double v = r.categories().get(c);
        row.add(v == null ? "" : f2(v));
      }
      t.row(row);
    }
    return t;
  }

  /** The Zephyr paper's MT-Bench radar chart: one polygon per model over the categories, scale 0..10. */
  public static void mtBenchRadar(List<MtBenchScores.SingleResult> results, Path png, int width, int height) {
    List<String> cats = categories(results);
    if (cats.size() < 3) {
      throw new IllegalArgumentException("a radar chart needs at least 3 categories, got " + cats);
    }
    RadarChart chart = new RadarChartBuilder().width(width).height(height).title("MT-Bench by category").build();
    chart.setRadiiLabels(cats.toArray(new String[0]));
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    for (MtBenchScores.SingleResult r : results) {
      double[] v = new double[cats.size()];
      for (int i = 0; i < cats.size(); i++) {
        double s = r.categories().getOrDefault(cats.get(i), 0.0) / 10.0;
        v[i] = Math.max(0, Math.min(1, s)); // RadarChart wants [0, 1]
      }
      chart.addSeries(r.model(), v);
    }
    save(chart, png);
  }

  // ---------------------------------------------------------------- AlpacaEval

  /** The alpaca_eval leaderboard columns, one row per model. */
  public static MarkdownTable alpacaEvalTable(List<LeaderboardRow> rows) {
    MarkdownTable t = new MarkdownTable(List.of("model", "LC win rate", "win rate", "standard error", "n_wins",
        "n_wins_base", "n_draws", "n_total", "discrete win rate", "avg length", "LC variant"));
    for (LeaderboardRow r : rows) {
      t.row(List.of(r.name(), r.lengthControlledWinrate() == null ? "" : f2(r.lengthControlledWinrate()),
          f2(r.winRate()), f2(r.standardError()), Integer.toString(r.nWins()), Integer.toString(r.nWinsBase()),
          Integer.toString(r.nDraws()), Integer.toString(r.nTotal()), f2(r.discreteWinRate()),
          Integer.toString(r.avgLength()), r.lcVariant() == null ? "" : r.lcVariant()));
    }
    return t;
  }

  /** Win-rate bars (percent) with standard-error bars, one bar per model. */
  public static void winRateBars(List<LeaderboardRow> rows, Path png, int width, int height) {
    CategoryChart chart = new CategoryChartBuilder().width(width).height(height).title("AlpacaEval win rate")
        .xAxisTitle("model").yAxisTitle("win rate (%)").build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setErrorBarsColor(java.awt.Color.BLACK);
    chart.getStyler().setYAxisMin(0.0);
    List<String> names = rows.stream().map(LeaderboardRow::name).toList();
    List<Double> values = rows.stream().map(LeaderboardRow::winRate).toList();
    List<Double> errors = rows.stream().map(LeaderboardRow::standardError).toList();
    chart.addSeries("win rate", names, values, errors);
    save(chart, png);
  }

  // ---------------------------------------------------------------- training curves

  /** Every numeric metric of a metrics JSONL, as (step, value) series in file order; rows without the key skipped. */
  public static Map<String, List<double[]>> readMetrics(Path metricsJsonl) {
    Map<String, List<double[]>> series = new LinkedHashMap<>();
    long line = 0;
    for (JsonNode n : Jsonl.readAll(metricsJsonl)) {
      line++;
      JsonNode step = n.get("step");
      if (step == null || !step.isNumber()) {
        throw new InvalidInputException(metricsJsonl.toString(), line, "step", "every metrics line needs a step");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("step") || !e.getValue().isNumber()) {
          continue;
        }
        series.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
            .add(new double[] {step.asDouble(), e.getValue().asDouble()});
      }
    }
    return series;
  }

  /**
   * One training-curve chart: metrics of the same unit on one y axis.
   *
   * @param file PNG name without extension
   * @param title chart title
   * @param yAxisTitle quantity and unit
   * @param metrics metric keys drawn, in legend order
   * @param yMin fixed lower end of the y axis, or null to fit the data
   * @param yMax fixed upper end of the y axis, or null to fit the data
   */
  public record TrainingPanel(String file, String title, String yAxisTitle, List<String> metrics, Double yMin,
      Double yMax) {
    /** A panel whose y axis fits the data. */
    public TrainingPanel(String file, String title, String yAxisTitle, List<String> metrics) {
      this(file, title, yAxisTitle, metrics, null, null);
    }
  }

  /**
   * The charts of {@link #trainingReport}: quantities of different scale never share an axis. Losses are natural-log
   * cross-entropies (nats); TRL's implicit rewards are beta times log-probability ratios, also nats.
   */
  public static final List<TrainingPanel> TRAINING_PANELS = List.of(
      new TrainingPanel("loss", "Training loss", "loss (nats)", List.of("loss", "eval_loss")),
      new TrainingPanel("learning_rate", "Learning rate", "learning rate (dimensionless)", List.of("learning_rate")),
      new TrainingPanel("rewards", "DPO implicit rewards", "reward = beta * log(pi / pi_ref) (nats)",
          List.of("rewards/chosen", "rewards/rejected", "rewards/margins")),
      new TrainingPanel("rewards_accuracies", "DPO reward accuracy", "fraction of pairs (chosen reward > rejected)",
          List.of("rewards/accuracies"), 0.0, 1.0));

  /**
   * A line chart of {@code panel}'s metrics against the optimizer step; metrics missing from {@code series} are left
   * out.
   *
   * @throws IllegalArgumentException if none of the panel's metrics is in {@code series}
   */
  public static XYChart trainingChart(Map<String, List<double[]>> series, TrainingPanel panel, int width, int height) {
    XYChart chart = new XYChartBuilder().width(width).height(height).title(panel.title())
        .xAxisTitle("optimizer step").yAxisTitle(panel.yAxisTitle()).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setYAxisMin(panel.yMin()).setYAxisMax(panel.yMax());
    for (String m : panel.metrics()) {
      List<double[]> points = series.get(m);
      if (points == null || points.isEmpty()) {
        continue;
      }
      double[] x = points.stream().mapToDouble(p -> p[0]).toArray();
      double[] y = points.stream().mapToDouble(p -> p[1]).toArray();
      chart.addSeries(m, x, y).setMarker(points.size() > 50 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
    }
    if (chart.getSeriesMap().isEmpty()) {
      throw new IllegalArgumentException("none of " + panel.metrics() + " is in the metrics file (have "
          + series.keySet() + ")");
    }
    return chart;
  }

  /**
   * The usual training report next to a metrics file, one PNG per {@link #TRAINING_PANELS} entry whose metrics exist:
   * {@code loss.png}, {@code learning_rate.png} and, for DPO, {@code rewards.png} and {@code rewards_accuracies.png}.
   * Returns the files written.
   */
  public static List<Path> trainingReport(Path metricsJsonl, Path outDir, int width, int height) {
    Map<String, List<double[]>> s = readMetrics(metricsJsonl);
    List<Path> written = new ArrayList<>();
    for (TrainingPanel panel : TRAINING_PANELS) {
      if (panel.metrics().stream().anyMatch(s::containsKey)) {
        Path png = outDir.resolve(panel.file() + ".png");
        save(trainingChart(s, panel, width, height), png);
        written.add(png);
      }
    }
    return written;
  }

  // ---------------------------------------------------------------- helpers

  static String f2(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f", v);
  }

  /**
   * Renders {@code panels} side by side, {@code columns} to a row, into one PNG, then writes it atomically: for
   * quantities that must not share an axis but belong in one figure. Each panel is drawn at its own size in a cell as
   * large as the largest panel; a short last row is left white.
   */
  public static void savePanels(List<? extends Chart<?, ?>> panels, int columns, Path png) {
    if (panels.isEmpty() || columns < 1) {
      throw new IllegalArgumentException("need at least one panel and one column, got " + panels.size() + " and "
          + columns);
    }
    int cols = Math.min(columns, panels.size());
    int rows = (panels.size() + cols - 1) / cols;
    int cellWidth = panels.stream().mapToInt(Chart::getWidth).max().orElseThrow();
    int cellHeight = panels.stream().mapToInt(Chart::getHeight).max().orElseThrow();
    BufferedImage figure = new BufferedImage(cols * cellWidth, rows * cellHeight, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = figure.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, figure.getWidth(), figure.getHeight());
      for (int i = 0; i < panels.size(); i++) {
        g.drawImage(BitmapEncoder.getBufferedImage(panels.get(i)), (i % cols) * cellWidth, (i / cols) * cellHeight,
            null);
      }
    } finally {
      g.dispose();
    }
    try {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      ImageIO.write(figure, "png", buf);
      byte[] bytes = buf.toByteArray();
      AtomicFiles.write(png, out -> out.write(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot render " + png, e);
    }
  }

  /** Renders a chart to PNG in memory, then writes it atomically. */
  public static void save(Chart<?, ?> chart, Path png) {
    try {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      BitmapEncoder.saveBitmap(chart, buf, BitmapEncoder.BitmapFormat.PNG);
      byte[] bytes = buf.toByteArray();
      AtomicFiles.write(png, out -> out.write(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot render " + png, e);
    }
  }
}
