package dev.zephyr.train.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.train.bench.TrainBenchOptions.Frozen;
import dev.zephyr.train.bench.TrainBenchOptions.Mode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Option names, the combinations refused, and what a step holds. */
class TrainBenchOptionsTest {
  private static final TrainBenchOptions DEFAULTS = TrainBenchOptions.defaults();

  @Test
  void namesParseAsTheCommandLineWritesThem() {
    assertThat(Mode.of("dpo")).isEqualTo(Mode.DPO);
    assertThat(Frozen.of("bf16")).isEqualTo(Frozen.BF16);
    assertThat(Mode.SFT.cliName()).isEqualTo("sft");
    assertThatThrownBy(() -> Frozen.of("fp16")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("--dtype").hasMessageContaining("unknown value 'fp16'; expected one of f32, bf16");
    assertThatThrownBy(() -> Mode.of("ppo")).hasMessageContaining("expected one of sft, dpo");
  }

  @Test
  void bf16NeedsSomethingFrozen() {
    assertThatThrownBy(() -> DEFAULTS.withFrozen(Frozen.BF16)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("full SFT has none: add --lora-r R");
    TrainBenchOptions dpo = DEFAULTS.withMode(Mode.DPO);
    assertThatThrownBy(() -> dpo.withDetails(0, 512, 0, true, false).withFrozen(Frozen.BF16))
        .hasMessageContaining("full DPO with --cached-ref has none");
    assertThat(dpo.withFrozen(Frozen.BF16).reference()).isEqualTo("model");
    assertThat(DEFAULTS.withLora(16, 16, 0).withFrozen(Frozen.BF16).hasFrozenWeights()).isTrue();
  }

  @Test
  void badSizesAreRefusedByFlag() {
    assertThatThrownBy(() -> DEFAULTS.withSize(0, 256, 5)).hasMessageContaining("--batch");
    assertThatThrownBy(() -> DEFAULTS.withSize(8, 1, 5)).hasMessageContaining("--seq");
    assertThatThrownBy(() -> DEFAULTS.withLora(-1, 1, 0)).hasMessageContaining("--lora-r");
    assertThatThrownBy(() -> DEFAULTS.withDetails(0, 512, 0, true, false)).hasMessageContaining("--cached-ref");
  }

  @Test
  void dpoTrainsChosenAndRejectedRows() {
    assertThat(DEFAULTS.tokensPerStep()).isEqualTo(8 * 256);
    TrainBenchOptions dpo = DEFAULTS.withMode(Mode.DPO).withSize(1, 512, 2);
    assertThat(dpo.tokensPerStep()).isEqualTo(1024);
    assertThat(List.of(DEFAULTS.reference(), dpo.reference(), dpo.withLora(16, 16, 0).reference(),
        dpo.withDetails(0, 512, 0, true, false).reference())).containsExactly("none", "model", "base", "cached");
  }

  @Test
  void theResultLineCarriesTheIssuesKeysAndItsArithmetic() {
    // 2048 tokens in 2 s = 1024 tokens/s; x 1e9 FLOPs per token / 2048 GFLOP/s = MFU 0.5
    TrainBenchResult r = new TrainBenchResult("impl", DEFAULTS.withLora(8, 8, 0), 1000, 10, 990, 0, 2.0, 1e9,
        2048, 1500, 1700, 2);
    var j = r.toJson();
    assertThat(j.get("tokens_per_s").asDouble()).isEqualTo(1024.0);
    assertThat(j.get("mfu").asDouble()).isEqualTo(0.5);
    assertThat(j.get("peak_rss_mb").asLong()).isEqualTo(1500);
    assertThat(j.get("params").asLong()).isEqualTo(1000);
    assertThat(j.get("trainable_params").asLong()).isEqualTo(10);
    assertThat(j.get("mode").asText()).isEqualTo("sft");
    assertThat(j.get("shape").asText()).isEqualTo("default");
    assertThat(j.get("dtype").asText()).isEqualTo("f32");
    assertThat(j.get("lora_r").asInt()).isEqualTo(8);
    assertThat(j.has("pairs_per_forward")).as("SFT has no pairs").isFalse();
  }

  @Test
  void peakRssIsReadFromVmHwm() {
    assertThat(PeakRss.vmHwmKb(List.of("VmPeak:\t 9000 kB", "VmHWM:\t    4567 kB", "VmRSS:\t 4000 kB")))
        .isEqualTo(4567);
    assertThat(PeakRss.vmHwmKb(List.of("Name: java"))).isEqualTo(-1);
  }
}
