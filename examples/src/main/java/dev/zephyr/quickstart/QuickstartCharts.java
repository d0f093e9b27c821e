package dev.zephyr.quickstart;

import dev.zephyr.eval.report.Reports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The quickstart's charts as PNGs, drawn with XChart: per model the mean judge score and the win rate against dSFT,
 * and training curves read from the trainers' {@code metrics.jsonl} files (TRL keys). Each figure is two panels side
 * by side, because the quantities in it differ in scale or meaning (a 1-10 score and a percentage, SFT and DPO losses,
 * a fraction of pairs and a margin in nats); every panel has a title and a y axis naming its unit.
 */
public final class QuickstartCharts {
  public static final String SCORES = "quickstart-scores.png";
  public static final String TRAINING = "quickstart-training.png";
  public static final String DPO = "quickstart-dpo.png";
  public static final String RLSF = "quickstart-almost-rlsf.png";
  /** Size of one panel; a figure is two panels wide. */
  static final int PANEL_WIDTH = 520;
  static final int PANEL_HEIGHT = 420;

  private QuickstartCharts() {}

  /** Writes {@code dir/quickstart-scores.png}: {@link #scorePanels}. */
  public static Path scores(QuickstartResults results, Path dir) {
    return save(scorePanels(results), dir.resolve(SCORES));
  }

  /** The mean judge score (1-10) and the win rate against dSFT (%) per model, each on its own panel. */
  static List<CategoryChart> scorePanels(QuickstartResults results) {
    List<String> models = results.rows().stream().map(QuickstartResults.Row::model).toList();
    CategoryChart score = bars("Mean judge score on held-out prompts", "judge score (1-10 scale)");
    score.getStyler().setYAxisMin(0.0).setYAxisMax(10.0);
    score.addSeries("mean judge score", models, results.rows().stream().map(QuickstartResults.Row::judgeScore)
        .toList());
    CategoryChart winRate = bars("Win rate against dSFT (judge)", "win rate (% of prompts, ties count half)");
    winRate.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
    winRate.addSeries("win rate vs dSFT", models,
        results.rows().stream().map(r -> 100 * r.winRateVsDsft()).toList());
    return List.of(score, winRate);
  }

  /**
   * Writes {@code dir/quickstart-training.png}: {@link #lossPanels}. Runs without a metrics file are left out.
   *
   * @param sftRuns label to {@code metrics.jsonl} of the SFT runs (pretraining, dSFT)
   * @param dpoRuns label to {@code metrics.jsonl} of the DPO runs
   */
  public static Path trainingCurves(Map<String, Path> sftRuns, Map<String, Path> dpoRuns, Path dir) {
    return save(lossPanels(sftRuns, dpoRuns), dir.resolve(TRAINING));
  }

  /** SFT losses (mean token cross-entropy) and DPO losses (sigmoid loss plus the SFT term) on separate panels. */
  static List<XYChart> lossPanels(Map<String, Path> sftRuns, Map<String, Path> dpoRuns) {
    XYChart sft = lines("SFT loss (pretraining and dSFT)", "loss (nats per token)");
    addCurves(sft, sftRuns, "loss");
    XYChart dpo = lines("dDPO loss (sigmoid per pair + SFT per token)", "loss (nats)");
    addCurves(dpo, dpoRuns, "loss");
    return List.of(sft, dpo);
  }

  /** Writes {@code dir/quickstart-dpo.png}: {@link #dpoPanels}. */
  public static Path dpoCurves(Map<String, Path> metricsFiles, Path dir) {
    return save(dpoPanels(metricsFiles), dir.resolve(DPO));
  }

  /** DPO's {@code rewards/accuracies} (a fraction) and {@code rewards/margins} (nats) per step, on separate panels. */
  static List<XYChart> dpoPanels(Map<String, Path> metricsFiles) {
    XYChart accuracies = lines("dDPO rewards/accuracies", "fraction of pairs (chosen reward > rejected)");
    accuracies.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
    addCurves(accuracies, metricsFiles, "rewards/accuracies");
    XYChart margins = lines("dDPO rewards/margins", "reward margin, beta * log-ratio (nats)");
    addCurves(margins, metricsFiles, "rewards/margins");
    return List.of(accuracies, margins);
  }

  /** Writes {@code dir/quickstart-almost-rlsf.png}: {@link #rlsfPanels}. */
  public static Path rlsfCurves(String trainer, Path metricsFile, List<AlmostResults.Step> steps, Path dir) {
    return save(rlsfPanels(trainer, metricsFile, steps), dir.resolve(RLSF));
  }

  /**
   * The reward model's mean score (of each update's rollouts, TRL's {@code objective/scores}, and of the greedy
   * held-out answers at each evaluated checkpoint) and the judge's mean grade of those answers, over RL updates.
   */
  static List<XYChart> rlsfPanels(String trainer, Path metricsFile, List<AlmostResults.Step> steps) {
    String name = trainer.toUpperCase(java.util.Locale.ROOT);
    XYChart reward = lines("Reward-model score during " + name, "mean reward-model score (logit)");
    addCurves(reward, Map.of("rollouts (objective/scores)", metricsFile), "objective/scores");
    reward.getSeriesMap().remove("no metrics");
    XYChart judge = lines("Judge score during " + name + " (held-out prompts)", "mean judge score (1-10 scale)");
    if (!steps.isEmpty()) {
      double[] x = steps.stream().mapToDouble(AlmostResults.Step::step).toArray();
      reward.addSeries("held-out greedy answers", x,
          steps.stream().mapToDouble(AlmostResults.Step::rewardScore).toArray());
      judge.addSeries("held-out greedy answers", x,
          steps.stream().mapToDouble(AlmostResults.Step::judgeScore).toArray());
    }
    for (XYChart c : List.of(reward, judge)) {
      c.setXAxisTitle(name + " update");
      c.getStyler().setYAxisDecimalPattern("0.##");
      if (c.getSeriesMap().isEmpty()) {
        c.addSeries("no metrics", List.of(0.0), List.of(0.0));
      }
    }
    return List.of(reward, judge);
  }

  private static CategoryChart bars(String title, String yAxisTitle) {
    CategoryChart chart = new CategoryChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title)
        .xAxisTitle("model").yAxisTitle(yAxisTitle).build();
    // one series per panel: the title says what it is, and each bar carries its value
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setLabelsVisible(true).setLabelsFontColorAutomaticEnabled(false).setLabelsPosition(1.0);
    chart.getStyler().setYAxisDecimalPattern("0.##");
    return chart;
  }

  private static XYChart lines(String title, String yAxisTitle) {
    XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title)
        .xAxisTitle("optimizer step").yAxisTitle(yAxisTitle).build();
    // below the plot, where it never hides a curve
    chart.getStyler().setMarkerSize(3).setLegendPosition(Styler.LegendPosition.OutsideS)
        .setLegendLayout(Styler.LegendLayout.Horizontal);
    return chart;
  }

  /** One series per run that logged {@code key}; a placeholder series keeps an empty panel drawable. */
  private static void addCurves(XYChart chart, Map<String, Path> metricsFiles, String key) {
    for (Map.Entry<String, Path> e : metricsFiles.entrySet()) {
      if (!Files.isRegularFile(e.getValue())) {
        continue;
      }
      List<double[]> points = Reports.readMetrics(e.getValue()).getOrDefault(key, List.of()).stream()
          .filter(p -> Double.isFinite(p[1])).toList();
      if (!points.isEmpty()) {
        chart.addSeries(e.getKey(), points.stream().mapToDouble(p -> p[0]).toArray(),
            points.stream().mapToDouble(p -> p[1]).toArray());
      }
    }
    if (chart.getSeriesMap().isEmpty()) {
      chart.addSeries("no metrics", List.of(0.0), List.of(0.0));
    }
  }

  private static Path save(List<? extends org.knowm.xchart.internal.chartpart.Chart<?, ?>> panels, Path target) {
    Reports.savePanels(panels, 2, target);
    return target;
  }
}
