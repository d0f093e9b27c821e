package dev.zephyr.core.model;

/**
 * The {@code rope_scaling} block of config.json. Two types are understood: {@code linear} (positions divided by
 * {@code factor}) and {@code llama3} (Llama 3.1's frequency-band rescaling).
 *
 * @param type {@code "linear"} or {@code "llama3"}
 * @param factor scaling factor
 * @param lowFreqFactor llama3 only
 * @param highFreqFactor llama3 only
 * @param originalMaxPositionEmbeddings llama3 only: the context the model was pre-trained with
 */
public record RopeScaling(
    String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {

  public static RopeScaling linear(double factor) {
    return new RopeScaling("linear", factor, 0, 0, 0);
  }

  public static RopeScaling llama3(double factor, double low, double high, int originalMax) {
    return new RopeScaling("llama3", factor, low, high, originalMax);
  }

  /**
   * Rotary inverse frequencies {@code 1 / theta^(2i/d)} of a model, rescaled when its {@code rope_scaling} asks for
   * it (transformers' rope init functions).
   */
  static float[] inverseFrequencies(ModelConfig c) {
    int half = c.headDim() / 2;
    double[] inv = new double[half];
    for (int i = 0; i < half; i++) {
      // float32 exponent as transformers computes it (arange(0, d, 2).float() / d)
      float exponent = (float) (2 * i) / c.headDim();
      inv[i] = 1.0 / Math.pow(c.ropeTheta(), exponent);
    }
    if (c.ropeScaling() != null) {
      c.ropeScaling().apply(inv);
    }
    float[] out = new float[half];
    for (int i = 0; i < half; i++) {
      out[i] = (float) inv[i];
    }
    return out;
  }

  /**
   * Rescales rotary inverse frequencies in place, as transformers' {@code _compute_llama3_parameters} and the linear
   * type do.
   */
  void apply(double[] invFreq) {
    switch (type) {
      case "linear" -> {
        for (int i = 0; i < invFreq.length; i++) {
          invFreq[i] /= factor;
        }
      }
      case "llama3" -> {
        double lowWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
        double highWavelen = originalMaxPositionEmbeddings / highFreqFactor;
        for (int i = 0; i < invFreq.length; i++) {
          double wavelen = 2 * Math.PI / invFreq[i];
          if (wavelen > lowWavelen) {
            invFreq[i] /= factor;
          } else if (wavelen >= highWavelen) {
            double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
            invFreq[i] = (1 - smooth) * invFreq[i] / factor + smooth * invFreq[i];
          }
        }
      }
      default -> throw new IllegalStateException("unsupported rope_scaling type " + type);
    }
  }
}
