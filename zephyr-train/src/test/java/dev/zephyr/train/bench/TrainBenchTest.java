package dev.zephyr.train.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.train.bench.TrainBenchOptions.Frozen;
import dev.zephyr.train.bench.TrainBenchOptions.Mode;
import org.junit.jupiter.api.Test;

/** A real (tiny) run: the counts it reports are those of the models it built. */
class TrainBenchTest {
  // vocab 256, hidden 32, inter 64, 2 layers, 4 heads, 2 KV heads, untied: 34,976 parameters, of which 160 in norms
  private static TrainBenchOptions.Builder tiny() {
    return TrainBenchOptions.builder().shape(BenchShape.sized(256, 32, 64, 2, 4, 2)).batch(2).seq(16).steps(1);
  }

  @Test
  void loraDpoOverABf16BaseHoldsTheBaseAt2BytesAndTrainsTheAdapters() {
    TrainBenchResult r = TrainBench.run(tiny().mode(Mode.DPO).loraR(4).loraAlpha(4).frozen(Frozen.BF16).build());
    // adapters r 4 on 2 layers: 4 x (32+32 + 32+16 + 32+16 + 32+32 + 32+64 + 32+64 + 64+32) = 2048 per layer
    assertThat(r.trainableParams()).isEqualTo(4096);
    assertThat(r.params()).isEqualTo(34_976 + 4096);
    assertThat(r.params16Bit()).as("every matrix, not the norms").isEqualTo(34_976 - 160);
    assertThat(r.pairsPerForward()).isEqualTo(2);
    assertThat(r.toJson().get("reference").asText()).isEqualTo("base");
    assertThat(r.tokensPerSecond()).isPositive();
    assertThat(r.peakRssMb()).isPositive();
  }

  @Test
  void fullSftTrainsEveryWeightInFloat32() {
    TrainBenchResult r = TrainBench.run(tiny().build());
    assertThat(r.trainableParams()).isEqualTo(34_976);
    assertThat(r.params16Bit()).isZero();
    assertThat(r.flopsPerToken()).isEqualTo(TrainFlops.trainedToken(tiny().build().shape().config(4096), 0, 16));
  }
}
