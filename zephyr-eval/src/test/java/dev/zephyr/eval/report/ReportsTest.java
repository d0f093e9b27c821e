package dev.zephyr.eval.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.eval.alpacaeval.LeaderboardRow;
import dev.zephyr.eval.mtbench.MtBenchScores;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportsTest {

  static MtBenchScores.SingleResult result(String model, double base) {
    Map<String, Double> cats = new LinkedHashMap<>();
    String[] names = {"writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities"};
    for (int i = 0; i < names.length; i++) {
      cats.put(names[i], base + i * 0.25);
    }
    return new MtBenchScores.SingleResult(model, base + 0.875, base + 1, base + 0.75, cats, 160, 0);
  }

  @Test
  void mtBenchTableHoldsTheScores() {
    String md = Reports.mtBenchTable(List.of(result("zephyr", 6.0), result("base", 3.5))).render();
    List<String> lines = md.lines().toList();
    assertThat(lines.get(0)).isEqualTo("| model | MT-Bench | turn 1 | turn 2 | writing | roleplay | reasoning | math "
        + "| coding | extraction | stem | humanities |");
    assertThat(lines.get(1)).startsWith("| :--- | ---: |");
    assertThat(lines.get(2)).isEqualTo("| zephyr | 6.88 | 7.00 | 6.75 | 6.00 | 6.25 | 6.50 | 6.75 | 7.00 | 7.25 | 7.50 "
        + "| 7.75 |");
    assertThat(lines.get(3)).startsWith("| base | 4.38 | 4.50 | 4.25 | 3.50 |");
  }

  @Test
  void chartsAreValidPngsOfTheRequestedSize(@TempDir Path tmp) throws Exception {
    Path radar = tmp.resolve("mt_bench_radar.png");
    Reports.mtBenchRadar(List.of(result("zephyr", 6.0), result("base", 3.5)), radar, 640, 480);
    assertImage(radar, 640, 480);

    Path bars = tmp.resolve("win_rate.png");
    List<LeaderboardRow> rows = List.of(
        new LeaderboardRow("zephyr", 10.34, 0.94, 75, 727, 3, 805, 9.5, 1107, 16.2, 0.7, "length_controlled_noreg"),
        new LeaderboardRow("base", 2.5, 0.5, 20, 780, 5, 805, 2.4, 900, null, null, null));
    Reports.winRateBars(rows, bars, 800, 600);
    assertImage(bars, 800, 600);

    String md = Reports.alpacaEvalTable(rows).render();
    assertThat(md).contains("| zephyr | 16.20 | 10.34 | 0.94 | 75 | 727 | 3 | 805 | 9.50 | 1107 | "
        + "length_controlled_noreg |");
    assertThat(md).contains("| base |  | 2.50 | 0.50 | 20 | 780 | 5 | 805 | 2.40 | 900 |  |");
  }

  @Test
  void trainingCurvesFromTrlMetrics(@TempDir Path tmp) throws Exception {
    Path metrics = tmp.resolve("metrics.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int step = 1; step <= 20; step++) {
      sb.append(String.format(java.util.Locale.ROOT,
          "{\"step\": %d, \"epoch\": %.2f, \"loss\": %.4f, \"learning_rate\": %.6f, \"grad_norm\": 1.0,"
              + " \"rewards/chosen\": %.3f, \"rewards/rejected\": %.3f, \"rewards/margins\": %.3f,"
              + " \"rewards/accuracies\": %.2f}%n",
          step, step / 20.0, 0.69 / step, 5e-7 * step / 20, 0.01 * step, -0.01 * step, 0.02 * step, step / 20.0));
      if (step % 10 == 0) {
        sb.append("{\"step\": ").append(step).append(", \"eval_loss\": 0.5}\n");
      }
    }
    Files.writeString(metrics, sb.toString());
    Map<String, List<double[]>> s = Reports.readMetrics(metrics);
    assertThat(s.get("loss")).hasSize(20);
    assertThat(s.get("eval_loss")).hasSize(2);
    assertThat(s.get("loss").get(1)).containsExactly(2.0, 0.345);
    List<Path> written = Reports.trainingReport(metrics, tmp.resolve("report"), 400, 300);
    assertThat(written).extracting(p -> p.getFileName().toString())
        .containsExactly("loss.png", "learning_rate.png", "rewards.png", "rewards_accuracies.png");
    for (Path p : written) {
      assertImage(p, 400, 300);
    }
    Files.writeString(metrics, "{\"loss\": 1.0}\n");
    assertThatThrownBy(() -> Reports.readMetrics(metrics)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("step");
  }

  @Test
  void trainingChartsKeepQuantitiesOfDifferentScaleApartAndNameTheirUnits() {
    Map<String, List<double[]>> s = Map.of(
        "loss", List.of(new double[] {1, 0.7}, new double[] {2, 0.6}),
        "rewards/margins", List.of(new double[] {1, 0.0}, new double[] {2, 4.6}),
        "rewards/chosen", List.of(new double[] {1, 0.0}, new double[] {2, 2.0}),
        "rewards/accuracies", List.of(new double[] {1, 0.5}, new double[] {2, 0.75}));
    Map<String, org.knowm.xchart.XYChart> charts = new java.util.LinkedHashMap<>();
    for (Reports.TrainingPanel panel : Reports.TRAINING_PANELS) {
      if (panel.metrics().stream().anyMatch(s::containsKey)) {
        charts.put(panel.file(), Reports.trainingChart(s, panel, 400, 300));
      }
    }
    assertThat(charts).containsOnlyKeys("loss", "rewards", "rewards_accuracies");
    assertThat(charts.get("rewards").getSeriesMap()).containsOnlyKeys("rewards/chosen", "rewards/margins");
    assertThat(charts.get("rewards_accuracies").getSeriesMap()).containsOnlyKeys("rewards/accuracies");
    assertThat(charts.get("rewards_accuracies").getStyler().getYAxisMax()).isEqualTo(1.0);
    assertThat(charts.get("loss").getYAxisTitle()).isEqualTo("loss (nats)");
    assertThat(charts.get("rewards").getYAxisTitle()).contains("(nats)");
    assertThat(charts.get("rewards_accuracies").getYAxisTitle()).contains("fraction of pairs");
    for (org.knowm.xchart.XYChart c : charts.values()) {
      assertThat(c.getTitle()).isNotBlank();
      assertThat(c.getXAxisTitle()).isEqualTo("optimizer step");
    }
    assertThatThrownBy(() -> Reports.trainingChart(s, Reports.TRAINING_PANELS.get(1), 400, 300))
        .hasMessageContaining("learning_rate");
  }

  @Test
  void panelsAreDrawnSideBySideInOnePng(@TempDir Path tmp) throws Exception {
    List<org.knowm.xchart.CategoryChart> panels = new java.util.ArrayList<>();
    for (String title : List.of("a", "b", "c")) {
      org.knowm.xchart.CategoryChart c = new org.knowm.xchart.CategoryChartBuilder().width(200).height(150)
          .title(title).build();
      c.addSeries("s", List.of("x"), List.of(1.0));
      panels.add(c);
    }
    Path png = tmp.resolve("fig.png");
    Reports.savePanels(panels, 2, png);
    assertImage(png, 400, 300); // 2 columns, 2 rows, the last one short
    Reports.savePanels(panels.subList(0, 2), 2, png);
    assertImage(png, 400, 150);
  }

  static void assertImage(Path png, int w, int h) throws Exception {
    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img).isNotNull();
    assertThat(img.getWidth()).isEqualTo(w);
    assertThat(img.getHeight()).isEqualTo(h);
    // not a blank canvas: more than one colour
    int first = img.getRGB(0, 0);
    boolean varied = false;
    for (int x = 0; x < w && !varied; x += 7) {
      for (int y = 0; y < h && !varied; y += 7) {
        varied = img.getRGB(x, y) != first;
      }
    }
    assertThat(varied).isTrue();
  }
}
