package dev.zephyr.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;

/** What the quickstart's figures show: one quantity per panel, every panel titled, every y axis with its unit. */
class QuickstartChartsTest {
  @TempDir Path dir;

  @Test
  void scoreAndWinRateHaveTheirOwnPanelsAndScales() throws Exception {
    QuickstartResults results = new QuickstartResults(List.of(new QuickstartResults.Row("base", 1.2, 0.4),
        new QuickstartResults.Row("dsft", 2.0, 0.5), new QuickstartResults.Row("dsft+ddpo", 2.8, 0.9)),
        new QuickstartResults.Dpo(0.75, 2.1), 60);
    List<CategoryChart> panels = QuickstartCharts.scorePanels(results);
    assertThat(panels).hasSize(2);
    CategoryChart score = panels.get(0);
    CategoryChart winRate = panels.get(1);
    assertThat(score.getYAxisTitle()).isEqualTo("judge score (1-10 scale)");
    assertThat(score.getStyler().getYAxisMax()).isEqualTo(10.0);
    assertThat(winRate.getYAxisTitle()).startsWith("win rate (%");
    assertThat(winRate.getStyler().getYAxisMax()).isEqualTo(100.0);
    assertThat(score.getSeriesMap()).containsOnlyKeys("mean judge score");
    assertThat(winRate.getSeriesMap()).containsOnlyKeys("win rate vs dSFT");
    // percent, not a fraction and not "x 10"
    assertThat(values(winRate, "win rate vs dSFT")).containsExactly(40.0, 50.0, 90.0);
    assertThat(values(score, "mean judge score")).containsExactly(1.2, 2.0, 2.8);
    assertThat(List.of(score.getTitle(), winRate.getTitle())).allMatch(t -> !t.isBlank()).doesNotHaveDuplicates();

    Path png = QuickstartCharts.scores(results, dir);
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(2 * QuickstartCharts.PANEL_WIDTH);
    assertThat(img.getHeight()).isEqualTo(QuickstartCharts.PANEL_HEIGHT);
  }

  @Test
  void sftAndDpoLossesAndDpoAccuracyAndMarginAreOnSeparatePanels() throws Exception {
    Path pretrain = metrics("pretrain.jsonl", "{\"step\": 5, \"loss\": 4.1}", "{\"step\": 10, \"loss\": 3.0}");
    Path dsft = metrics("dsft.jsonl", "{\"step\": 5, \"loss\": 2.5}");
    Path zephyr = metrics("zephyr.jsonl",
        "{\"step\": 5, \"loss\": 1.9, \"rewards/accuracies\": 0.5, \"rewards/margins\": 0.1}",
        "{\"step\": 10, \"loss\": 1.2, \"rewards/accuracies\": 0.8, \"rewards/margins\": 4.6}");
    Map<String, Path> sft = new LinkedHashMap<>();
    sft.put("pretrain", pretrain);
    sft.put("dSFT", dsft);
    Map<String, Path> dpo = new LinkedHashMap<>();
    dpo.put("dSFT+dDPO", zephyr);
    dpo.put("dDPO", dir.resolve("missing.jsonl")); // a run that has not logged yet is left out

    List<XYChart> losses = QuickstartCharts.lossPanels(sft, dpo);
    assertThat(losses).hasSize(2);
    assertThat(losses.get(0).getSeriesMap()).containsOnlyKeys("pretrain", "dSFT");
    assertThat(losses.get(0).getYAxisTitle()).isEqualTo("loss (nats per token)");
    assertThat(losses.get(1).getSeriesMap()).containsOnlyKeys("dSFT+dDPO");
    assertThat(losses.get(1).getYAxisTitle()).isEqualTo("loss (nats)");
    assertThat(losses.get(1).getSeriesMap().get("dSFT+dDPO").getYData()).containsExactly(1.9, 1.2);

    List<XYChart> dpoPanels = QuickstartCharts.dpoPanels(dpo);
    assertThat(dpoPanels).hasSize(2);
    XYChart accuracies = dpoPanels.get(0);
    XYChart margins = dpoPanels.get(1);
    assertThat(accuracies.getYAxisTitle()).startsWith("fraction of pairs");
    assertThat(accuracies.getStyler().getYAxisMin()).isEqualTo(0.0);
    assertThat(accuracies.getStyler().getYAxisMax()).isEqualTo(1.0);
    assertThat(accuracies.getSeriesMap().get("dSFT+dDPO").getYData()).containsExactly(0.5, 0.8);
    assertThat(margins.getYAxisTitle()).endsWith("(nats)");
    assertThat(margins.getSeriesMap().get("dSFT+dDPO").getYData()).containsExactly(0.1, 4.6);
    for (XYChart c : List.of(losses.get(0), losses.get(1), accuracies, margins)) {
      assertThat(c.getTitle()).isNotBlank();
      assertThat(c.getXAxisTitle()).isEqualTo("optimizer step");
    }

    assertThat(ImageIO.read(QuickstartCharts.trainingCurves(sft, dpo, dir).toFile()).getWidth())
        .isEqualTo(2 * QuickstartCharts.PANEL_WIDTH);
    assertThat(ImageIO.read(QuickstartCharts.dpoCurves(dpo, dir).toFile()).getHeight())
        .isEqualTo(QuickstartCharts.PANEL_HEIGHT);
  }

  @Test
  void rlsfCurvesShowTheRewardModelScoreAndTheJudgeScoreOverUpdates() throws Exception {
    Path ppo = metrics("ppo.jsonl", "{\"step\": 1, \"objective/scores\": -0.5}",
        "{\"step\": 2, \"objective/scores\": 0.25}");
    List<AlmostResults.Step> steps = List.of(new AlmostResults.Step(0, 1.6, 0.9),
        new AlmostResults.Step(2, 1.8, 1.1));
    List<XYChart> panels = QuickstartCharts.rlsfPanels("ppo", ppo, steps);
    assertThat(panels).hasSize(2);
    XYChart reward = panels.get(0);
    XYChart judge = panels.get(1);
    assertThat(reward.getSeriesMap()).containsOnlyKeys("rollouts (objective/scores)", "held-out greedy answers");
    assertThat(reward.getSeriesMap().get("rollouts (objective/scores)").getYData()).containsExactly(-0.5, 0.25);
    assertThat(reward.getSeriesMap().get("held-out greedy answers").getYData()).containsExactly(0.9, 1.1);
    assertThat(judge.getSeriesMap()).containsOnlyKeys("held-out greedy answers");
    assertThat(judge.getSeriesMap().get("held-out greedy answers").getXData()).containsExactly(0.0, 2.0);
    assertThat(judge.getSeriesMap().get("held-out greedy answers").getYData()).containsExactly(1.6, 1.8);
    assertThat(judge.getYAxisTitle()).isEqualTo("mean judge score (1-10 scale)");
    assertThat(List.of(reward.getXAxisTitle(), judge.getXAxisTitle())).containsOnly("PPO update");
    assertThat(ImageIO.read(QuickstartCharts.rlsfCurves("ppo", ppo, steps, dir).toFile()).getWidth())
        .isEqualTo(2 * QuickstartCharts.PANEL_WIDTH);
  }

  private static List<Double> values(CategoryChart chart, String series) {
    return chart.getSeriesMap().get(series).getYData().stream().map(Number::doubleValue).toList();
  }

  private Path metrics(String name, String... lines) throws Exception {
    return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
  }
}
