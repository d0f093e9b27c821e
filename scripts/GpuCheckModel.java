// Run by scripts/gpu-check through Java's source launcher: java -cp examples/target/zephyr.jar THIS_FILE DIR
// Writes a random Llama model directory (float32, transformers' N(0, 0.02) initialisation, seed 0) with the vocabulary
// of testdata's zephyr tokenizer, so that the SFT and DPO commands can train it. Its size comes from the environment:
// GPU_CHECK_HIDDEN (default 512), GPU_CHECK_LAYERS (4), GPU_CHECK_HEADS (8), GPU_CHECK_KV_HEADS (2).
import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import java.nio.file.Path;
import java.util.List;

public class GpuCheckModel {
  public static void main(String[] args) {
    int hidden = env("GPU_CHECK_HIDDEN", 512);
    ModelConfig config = ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(32000).hiddenSize(hidden)
        .intermediateSize(hidden * 11 / 4).numHiddenLayers(env("GPU_CHECK_LAYERS", 4))
        .numAttentionHeads(env("GPU_CHECK_HEADS", 8)).numKeyValueHeads(env("GPU_CHECK_KV_HEADS", 2))
        .rmsNormEps(1e-5).ropeTheta(10000.0).maxPositionEmbeddings(2048).bosTokenId(1).eosTokenIds(List.of(2))
        .build();
    // built on the CPU: only the files matter here, the checks load them onto the GPU
    try (NDManager m = NDManager.newBaseManager(Device.cpu()); LlamaModel model = LlamaModel.random(config, 0, m)) {
      model.save(Path.of(args[0]));
      System.out.println(model.parameterCount());
    }
  }

  private static int env(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
  }
}
