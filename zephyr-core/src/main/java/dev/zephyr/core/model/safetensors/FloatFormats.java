package dev.zephyr.core.model.safetensors;

/**
 * Conversions between float32 and the 16-bit storage formats, with PyTorch's rounding (round to nearest, ties to
 * even). Written out by hand because Java 17 has no {@code Float.float16ToFloat}.
 */
public final class FloatFormats {
  private FloatFormats() {}

  /** Widens bfloat16 bits to float32: bfloat16 is the upper half of a float32. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** Rounds float32 to bfloat16 bits, ties to even; every NaN becomes the quiet NaN 0x7FC0, as in PyTorch. */
  public static short floatToBf16(float value) {
    if (Float.isNaN(value)) {
      return (short) 0x7FC0;
    }
    int bits = Float.floatToRawIntBits(value);
    int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
    // Unsigned arithmetic: a carry out of the mantissa moves into the exponent, which is exactly right
    // (and turns values beyond the largest bfloat16 into infinity).
    return (short) ((bits + roundingBias) >>> 16);
  }

  /** Widens IEEE binary16 bits to float32 (exact). */
  public static float f16ToFloat(short bits) {
    int h = bits & 0xFFFF;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      float subnormal = mantissa * 0x1p-24f; // exact: at most 10 significant bits
      return sign != 0 ? -subnormal : subnormal;
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }

  /**
   * Rounds float32 to IEEE binary16 bits, ties to even. Values too large become infinity, values too small become
   * subnormals or signed zero, NaN becomes the quiet NaN 0x7E00 with its sign, as in PyTorch.
   */
  public static short floatToF16(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xFF;
    int mantissa = bits & 0x7FFFFF;
    if (exponent == 0xFF) {
      return (short) (sign | (mantissa != 0 ? 0x7E00 : 0x7C00)); // NaN: PyTorch's canonical quiet NaN, sign kept
    }
    int halfExponent = exponent - 127 + 15;
    if (halfExponent >= 0x1F) {
      return (short) (sign | 0x7C00);
    }
    int significand = mantissa | 0x800000; // float32 subnormals are far below binary16's range and end up as zero
    int shift = halfExponent >= 1 ? 13 : 14 - halfExponent;
    if (shift > 24) {
      return (short) sign;
    }
    int kept = significand >>> shift;
    int rest = significand & ((1 << shift) - 1);
    int halfway = 1 << (shift - 1);
    if (rest > halfway || (rest == halfway && (kept & 1) == 1)) {
      kept++;
    }
    // For normal results the implicit bit is replaced by the exponent field; a rounding carry moves into the
    // exponent (up to infinity), and a subnormal that rounds up to 0x400 becomes the smallest normal.
    int magnitude = halfExponent >= 1 ? ((halfExponent << 10) + (kept - 0x400)) : kept;
    return (short) (sign | magnitude);
  }
}
