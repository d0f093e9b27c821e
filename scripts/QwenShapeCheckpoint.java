// Run by scripts/lora-dpo-qwen-shape through Java's source launcher:
//   java -cp examples/target/zephyr.jar scripts/QwenShapeCheckpoint.java SHAPE MAX_POSITIONS DIR
// Writes a random model directory of the named benchmark shape (dev.zephyr.train.bench.BenchShape: qwen2.5-0.5b,
// smollm2-135m or default), seed 0, its weights stored as BF16 safetensors as Qwen2.5 checkpoints ship. Prints the
// parameter count. The tokenizer files are the script's business.
import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.train.bench.BenchShape;
import java.nio.file.Path;

public class QwenShapeCheckpoint {
  public static void main(String[] args) {
    BenchShape shape = BenchShape.named(args[0]);
    try (NDManager m = NDManager.newBaseManager(Device.cpu());
        LlamaModel model = LlamaModel.random(shape.config(Integer.parseInt(args[1])), 0, m)) {
      model.save(Path.of(args[2]), Dtype.BF16, null);
      System.out.println(model.parameterCount());
    }
  }
}
