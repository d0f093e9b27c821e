package dev.zephyr.quickstart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/** The quickstart's score chart: mean judge score and win rate against dSFT per model, as a PNG. */
public final class QuickstartCharts {
  public static final String SCORES = "quickstart-scores.png";

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
    Path target = dir.resolve(SCORES);
    try {
      Path tmp = Files.createTempFile(dir, ".scores", ".png");
      BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
      Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
    return target;
  }
}
