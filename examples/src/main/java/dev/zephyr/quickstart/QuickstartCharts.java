package dev.zephyr.quickstart;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import dev.zephyr.eval.report.Reports;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The quickstart's charts as PNGs: mean judge score and win rate against dSFT per model, and training curves read from
 * the trainers' {@code metrics.jsonl} files (TRL keys). Drawn with XChart here; the eval module's reports are richer.
 */
public final class QuickstartCharts {
  public static final String SCORES = "quickstart-scores.png";
  public static final String TRAINING = "quickstart-training.png";
  public static final String DPO = "quickstart-dpo.png";

  private QuickstartCharts() {}

  /** Writes {@code dir/quickstart-scores.png} (written to a temporary name first, then moved). */
  public static Path scores(QuickstartResults results, Path dir) {
    List<String> models = results.rows().stream().map(QuickstartResults.Row::model).toList();
    CategoryChart chart = new CategoryChartBuilder().width(800).height(500)
        .title("Zephyr ablation on the quickstart world").xAxisTitle("model").yAxisTitle("score (1-10) / win rate x 10")
        .build();
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(10.0).setLegendVisible(true);
    chart.addSeries("mean judge score", models, results.rows().stream().map(QuickstartResults.Row::judgeScore).toList());
    chart.addSeries("win rate vs dSFT (x10)", models,
        results.rows().stream().map(r -> 10 * r.winRateVsDsft()).toList());
    return save(chart, dir.resolve(SCORES));
  }

  /**
   * Writes {@code dir/quickstart-training.png}: training loss per optimizer step of every run named in
   * {@code metricsFiles} (label to {@code metrics.jsonl}); runs without a metrics file are left out.
   */
  public static Path trainingCurves(Map<String, Path> metricsFiles, Path dir) {
    XYChart chart = new XYChartBuilder().width(800).height(500).title("Training loss (logged every few steps)")
        .xAxisTitle("optimizer step").yAxisTitle("loss").build();
    chart.getStyler().setMarkerSize(3).setLegendPosition(Styler.LegendPosition.InsideNE);
    addCurves(chart, metricsFiles, "loss", "");
    return save(chart, dir.resolve(TRAINING));
  }

  /** Writes {@code dir/quickstart-dpo.png}: DPO's {@code rewards/accuracies} and {@code rewards/margins} per step. */
  public static Path dpoCurves(Map<String, Path> metricsFiles, Path dir) {
    XYChart chart = new XYChartBuilder().width(800).height(500).title("dDPO: implicit reward accuracy and margin")
        .xAxisTitle("optimizer step").yAxisTitle("value").build();
    chart.getStyler().setMarkerSize(3).setLegendPosition(Styler.LegendPosition.InsideNW);
    addCurves(chart, metricsFiles, "rewards/accuracies", " accuracies");
    addCurves(chart, metricsFiles, "rewards/margins", " margins");
    return save(chart, dir.resolve(DPO));
  }

  private static void addCurves(XYChart chart, Map<String, Path> metricsFiles, String key, String suffix) {
    for (Map.Entry<String, Path> e : metricsFiles.entrySet()) {
      if (!Files.isRegularFile(e.getValue())) {
        continue;
      }
      List<double[]> points = Reports.readMetrics(e.getValue()).getOrDefault(key, List.of()).stream()
          .filter(p -> Double.isFinite(p[1])).toList();
      if (!points.isEmpty()) {
        chart.addSeries(e.getKey() + suffix, points.stream().mapToDouble(p -> p[0]).toArray(),
            points.stream().mapToDouble(p -> p[1]).toArray());
      }
    }
    if (chart.getSeriesMap().isEmpty()) {
      chart.addSeries("no metrics" + suffix, List.of(0.0), List.of(0.0));
    }
  }

  private static Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path target) {
    Reports.save(chart, target);
    return target;
  }
}
