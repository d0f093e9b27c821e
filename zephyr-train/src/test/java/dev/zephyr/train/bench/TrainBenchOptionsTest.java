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

  private static TrainBenchOptions.Builder b() {
    return TrainBenchOptions.builder();
  }

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
  void bf16ComputesInBf16EvenWithNothingFrozen() {
    assertThat(b().frozen(Frozen.BF16).build().hasFrozenWeights()).isFalse();
    assertThat(b().mode(Mode.DPO).cachedRef(true).frozen(Frozen.BF16).build().hasFrozenWeights()).isFalse();
    assertThat(b().mode(Mode.DPO).frozen(Frozen.BF16).build().reference()).isEqualTo("model");
    assertThat(b().loraR(16).frozen(Frozen.BF16).build().hasFrozenWeights()).isTrue();
  }

  @Test
  void badSizesAreRefusedByFlag() {
    assertThatThrownBy(() -> b().batch(0).build()).hasMessageContaining("--batch");
    assertThatThrownBy(() -> b().seq(1).build()).hasMessageContaining("--seq");
    assertThatThrownBy(() -> b().loraR(-1).build()).hasMessageContaining("--lora-r");
    assertThatThrownBy(() -> b().cachedRef(true).build()).hasMessageContaining("--cached-ref");
  }

  @Test
  void dpoTrainsChosenAndRejectedRows() {
    assertThat(DEFAULTS.tokensPerStep()).isEqualTo(8 * 256);
    TrainBenchOptions dpo = b().mode(Mode.DPO).batch(1).seq(512).build();
    assertThat(dpo.tokensPerStep()).isEqualTo(1024);
    assertThat(List.of(DEFAULTS.reference(), dpo.reference(), b().mode(Mode.DPO).loraR(16).build().reference(),
        b().mode(Mode.DPO).cachedRef(true).build().reference())).containsExactly("none", "model", "base", "cached");
  }

  @Test
  void theResultLineCarriesTheIssuesKeysAndItsArithmetic() {
    // 2048 tokens in 2 s = 1024 tokens/s; x 1e9 FLOPs per token / 2048 GFLOP/s = MFU 0.5
    TrainBenchResult r = new TrainBenchResult("impl", b().loraR(8).loraAlpha(8).build(), 1000, 10, 990, 0, 2.0, 1e9,
        2048, 1500, 1700, 2);
    var j = r.toJson();
    assertThat(j.get("tokens_per_s").asDouble()).isEqualTo(1024.0);
    assertThat(j.get("mfu").asDouble()).isEqualTo(0.5);
    assertThat(j.get("peak_rss_mb").asLong()).isEqualTo(1500);
    assertThat(j.get("params").asLong()).isEqualTo(1000);
    assertThat(j.get("trainable_params").asLong()).isEqualTo(10);
    assertThat(j.get("mode").asText()).isEqualTo("sft");
    assertThat(j.get("shape").asText()).isEqualTo("default");
    assertThat(j.get("dtype").asText()).as("compute dtype").isEqualTo("f32");
    assertThat(j.get("frozen_dtype").asText()).isEqualTo("f32");
    assertThat(j.get("threads").asInt()).isEqualTo(2);
    assertThat(j.get("gemm_gflops").asDouble()).isEqualTo(2048.0);
    assertThat(j.get("lora_r").asInt()).isEqualTo(8);
    assertThat(j.has("pairs_per_forward")).as("SFT has no pairs").isFalse();
  }

  @Test
  void peakRssIsReadFromVmHwm() {
    List<String> status = List.of("VmPeak:\t 9000 kB", "VmHWM:\t    4567 kB", "VmRSS:\t 4000 kB");
    assertThat(PeakRss.valueKb(status, "VmHWM:")).isEqualTo(4567);
    assertThat(PeakRss.valueKb(status, "VmRSS:")).isEqualTo(4000);
    assertThat(PeakRss.valueKb(List.of("Name: java"), "VmHWM:")).isEqualTo(-1);
  }

  @Test
  void aResetPeakStartsFromTheCurrentResidentSize() {
    assertThat(PeakRss.reset()).as("Linux lets a process reset its VmHWM").isTrue();
    // the peak is now the resident size at the reset, give or take what the JVM touched since
    assertThat(PeakRss.kilobytes()).isBetween(PeakRss.residentKb() - 32_768, PeakRss.residentKb() + 32_768);
  }
}
