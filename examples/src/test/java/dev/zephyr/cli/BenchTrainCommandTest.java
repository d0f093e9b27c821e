package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.train.bench.BenchShape;
import dev.zephyr.train.bench.TrainBenchOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code zephyr bench train}: flags become the library's options, and one JSON line comes out. */
class BenchTrainCommandTest {

  private static TrainBenchOptions parse(String... args) {
    BenchTrainCommand c = new BenchTrainCommand();
    new CommandLine(c).parseArgs(args);
    return c.options();
  }

  @Test
  void flagsBecomeOptions() {
    TrainBenchOptions o = parse("--mode", "dpo", "--shape", "qwen2.5-0.5b", "--lora-r", "16", "--dtype", "bf16",
        "--seq", "512", "--batch", "1", "--steps", "2", "--gradient-checkpointing");
    assertThat(o.mode()).isEqualTo(TrainBenchOptions.Mode.DPO);
    assertThat(o.shape()).isEqualTo(BenchShape.QWEN2_5_0_5B);
    assertThat(o.loraR()).isEqualTo(16);
    assertThat(o.loraAlpha()).as("alpha defaults to the rank").isEqualTo(16.0);
    assertThat(o.frozen()).isEqualTo(TrainBenchOptions.Frozen.BF16);
    assertThat(o.tokensPerStep()).isEqualTo(1024);
    assertThat(o.gradientCheckpointing()).isTrue();
    TrainBenchOptions sized = parse("--vocab", "256", "--hidden", "32", "--inter", "64", "--layers", "2");
    assertThat(sized.shape().name()).isEqualTo("custom");
    assertThat(sized.shape().layers()).isEqualTo(2);
    assertThat(parse().shape()).isEqualTo(BenchShape.DEFAULT);
  }

  @Test
  void printsOneJsonLineWithTheIssuesKeys() throws Exception {
    CliRun r = CliRun.of("bench", "train", "--mode", "sft", "--lora-r", "2", "--dtype", "bf16", "--vocab", "128",
        "--hidden", "32", "--inter", "64", "--layers", "1", "--heads", "4", "--kv-heads", "2", "--seq", "8",
        "--batch", "2", "--steps", "1", "--threads", "1");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode j = Json.mapper().readTree(DecoderCommandsTest.jsonLines(r.out()).get(0));
    assertThat(j.get("mode").asText()).isEqualTo("sft");
    assertThat(j.get("dtype").asText()).as("compute").isEqualTo("bf16");
    assertThat(j.get("frozen_dtype").asText()).isEqualTo("bf16");
    assertThat(j.get("threads").asInt()).as("--threads 1").isEqualTo(1);
    assertThat(j.get("lora_r").asInt()).isEqualTo(2);
    assertThat(j.get("shape").asText()).isEqualTo("custom");
    // base: embedding and head 2 x 128 x 32, projections 1024 + 512 + 512 + 1024 + 3 x 2048, norms 3 x 32 = 17,504;
    // adapters r 2: q 64+64, k 64+32, v 64+32, o 64+64, gate 64+128, up 64+128, down 128+64 = 1,024
    assertThat(j.get("params").asLong()).isEqualTo(17_504 + 1_024);
    assertThat(j.get("trainable_params").asLong()).isEqualTo(1_024);
    assertThat(j.get("tokens_per_step").asInt()).isEqualTo(16);
    for (String key : new String[] {"tokens_per_s", "peak_rss_mb", "mfu", "gemm_gflops"}) {
      assertThat(j.get(key).asDouble()).as(key).isPositive();
    }
  }

  @Test
  void aBf16FullSftComputesInBf16WithNothingFrozen() throws Exception {
    CliRun r = CliRun.of("bench", "train", "--dtype", "bf16", "--vocab", "128", "--hidden", "32", "--inter", "64",
        "--layers", "1", "--heads", "4", "--kv-heads", "2", "--seq", "8", "--batch", "2", "--steps", "1");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode j = Json.mapper().readTree(DecoderCommandsTest.jsonLines(r.out()).get(0));
    assertThat(j.get("dtype").asText()).isEqualTo("bf16");
    assertThat(j.get("params_16bit").asLong()).as("full SFT keeps nothing at 2 bytes").isZero();
  }
}
