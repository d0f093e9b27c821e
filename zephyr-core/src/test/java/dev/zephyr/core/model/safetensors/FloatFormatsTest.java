package dev.zephyr.core.model.safetensors;

import static dev.zephyr.core.model.safetensors.FloatFormats.bf16ToFloat;
import static dev.zephyr.core.model.safetensors.FloatFormats.f16ToFloat;
import static dev.zephyr.core.model.safetensors.FloatFormats.floatToBf16;
import static dev.zephyr.core.model.safetensors.FloatFormats.floatToF16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Method;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Hand-computed rounding cases for the 16-bit formats, plus exhaustive round trips. */
class FloatFormatsTest {
  private static float bits(int b) {
    return Float.intBitsToFloat(b);
  }

  private static int u16(short s) {
    return s & 0xFFFF;
  }

  @Test
  void bf16RoundsToNearestTiesToEven() {
    assertThat(u16(floatToBf16(1.0f))).isEqualTo(0x3F80);
    assertThat(u16(floatToBf16(-2.0f))).isEqualTo(0xC000);
    // 1 + 2^-8 lies exactly between 0x3F80 and 0x3F81: the even one wins.
    assertThat(u16(floatToBf16(bits(0x3F808000)))).isEqualTo(0x3F80);
    // 1 + 3 * 2^-8 lies between 0x3F81 and 0x3F82: again the even one.
    assertThat(u16(floatToBf16(bits(0x3F818000)))).isEqualTo(0x3F82);
    assertThat(u16(floatToBf16(bits(0x3F808001)))).isEqualTo(0x3F81); // just above the tie
    assertThat(u16(floatToBf16(bits(0x3F807FFF)))).isEqualTo(0x3F80); // just below
  }

  @Test
  void bf16OverflowsToInfinityAndKeepsNanSignedZeroAndSubnormals() {
    assertThat(u16(floatToBf16(Float.MAX_VALUE))).isEqualTo(0x7F80);
    assertThat(u16(floatToBf16(-Float.MAX_VALUE))).isEqualTo(0xFF80);
    assertThat(u16(floatToBf16(bits(0x7F7F7FFF)))).isEqualTo(0x7F7F); // largest finite bfloat16 survives
    assertThat(u16(floatToBf16(Float.POSITIVE_INFINITY))).isEqualTo(0x7F80);
    assertThat(u16(floatToBf16(Float.NaN))).isEqualTo(0x7FC0);
    assertThat(u16(floatToBf16(bits(0xFF800001)))).isEqualTo(0x7FC0); // signalling NaN with sign: still NaN
    assertThat(u16(floatToBf16(-0.0f))).isEqualTo(0x8000);
    assertThat(u16(floatToBf16(Float.MIN_VALUE))).isEqualTo(0x0000);
    assertThat(u16(floatToBf16(bits(0x00008000)))).isEqualTo(0x0000); // subnormal tie -> even (0)
    assertThat(u16(floatToBf16(bits(0x00018000)))).isEqualTo(0x0002); // subnormal tie -> even (2)
    assertThat(u16(floatToBf16(bits(0x00008001)))).isEqualTo(0x0001);
    assertThat(bf16ToFloat((short) 0x3F80)).isEqualTo(1.0f);
    assertThat(bf16ToFloat((short) 0x0001)).isEqualTo(bits(0x00010000));
  }

  @Test
  void everyBf16ValueRoundTrips() {
    for (int h = 0; h < 0x10000; h++) {
      float f = bf16ToFloat((short) h);
      if (Float.isNaN(f)) {
        assertThat(u16(floatToBf16(f))).isEqualTo(0x7FC0);
      } else {
        assertThat(u16(floatToBf16(f))).as("bf16 0x%04x", h).isEqualTo(h);
      }
    }
  }

  @Test
  void f16RoundsToNearestTiesToEven() {
    assertThat(u16(floatToF16(1.0f))).isEqualTo(0x3C00);
    assertThat(u16(floatToF16(-2.0f))).isEqualTo(0xC000);
    assertThat(u16(floatToF16(1 + 0x1p-11f))).isEqualTo(0x3C00); // tie -> even
    assertThat(u16(floatToF16(1 + 3 * 0x1p-11f))).isEqualTo(0x3C02); // tie -> even
    assertThat(u16(floatToF16(Math.nextUp(1 + 0x1p-11f)))).isEqualTo(0x3C01);
    assertThat(u16(floatToF16(0.1f))).isEqualTo(0x2E66);
  }

  @Test
  void f16OverflowsToInfinity() {
    assertThat(u16(floatToF16(65504f))).isEqualTo(0x7BFF);
    assertThat(u16(floatToF16(65519f))).isEqualTo(0x7BFF); // below the midpoint 65520
    assertThat(u16(floatToF16(65520f))).isEqualTo(0x7C00); // midpoint, 0x7BFF is odd -> rounds up to infinity
    assertThat(u16(floatToF16(1e6f))).isEqualTo(0x7C00);
    assertThat(u16(floatToF16(-1e6f))).isEqualTo(0xFC00);
    assertThat(u16(floatToF16(Float.NEGATIVE_INFINITY))).isEqualTo(0xFC00);
  }

  @Test
  void f16SubnormalsZerosAndNan() {
    assertThat(u16(floatToF16(0x1p-24f))).isEqualTo(0x0001); // smallest subnormal
    assertThat(u16(floatToF16(0x1p-25f))).isEqualTo(0x0000); // tie between 0 and 2^-24 -> 0
    assertThat(u16(floatToF16(1.5f * 0x1p-25f))).isEqualTo(0x0001);
    assertThat(u16(floatToF16(3 * 0x1p-25f))).isEqualTo(0x0002); // 1.5 * 2^-24: tie -> 2
    assertThat(u16(floatToF16(1023 * 0x1p-24f))).isEqualTo(0x03FF); // largest subnormal
    assertThat(u16(floatToF16(1023.5f * 0x1p-24f))).isEqualTo(0x0400); // tie -> smallest normal
    assertThat(u16(floatToF16(0x1p-14f))).isEqualTo(0x0400);
    assertThat(u16(floatToF16(-0.0f))).isEqualTo(0x8000);
    assertThat(u16(floatToF16(Float.MIN_VALUE))).isEqualTo(0x0000);
    assertThat(u16(floatToF16(Float.NaN))).isEqualTo(0x7E00);
    assertThat(u16(floatToF16(Float.intBitsToFloat(0xFF800001)))).isEqualTo(0xFE00); // payload dropped, sign kept
    assertThat(f16ToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
    assertThat(f16ToFloat((short) 0x7BFF)).isEqualTo(65504f);
    assertThat(f16ToFloat((short) 0xC000)).isEqualTo(-2f);
    assertThat(f16ToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(f16ToFloat((short) 0x7E00)).isNaN();
    assertThat(Float.floatToRawIntBits(f16ToFloat((short) 0x8000))).isEqualTo(0x80000000);
  }

  @Test
  void everyF16ValueRoundTrips() {
    for (int h = 0; h < 0x10000; h++) {
      float f = f16ToFloat((short) h);
      if (!Float.isNaN(f)) {
        assertThat(u16(floatToF16(f))).as("f16 0x%04x", h).isEqualTo(h);
      }
    }
  }

  /** On JDK 20+ the JDK's own binary16 conversion is an independent oracle for millions of random floats. */
  @Test
  void f16AgreesWithTheJdkWhereItHasOne() throws Exception {
    Method toHalf;
    Method toFloat;
    try {
      toHalf = Float.class.getMethod("floatToFloat16", float.class);
      toFloat = Float.class.getMethod("float16ToFloat", short.class);
    } catch (NoSuchMethodException e) {
      assumeTrue(false, "JDK before 20: no Float.floatToFloat16");
      return;
    }
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 1_000_000; i++) {
      // Exponents concentrated around binary16's range, where the rounding decisions are.
      int b = (random.nextInt() & 0x807FFFFF) | ((random.nextInt(100, 150)) << 23);
      float f = bits(b);
      int mine = u16(floatToF16(f));
      int jdk = u16((short) toHalf.invoke(null, f));
      if (mine != jdk) {
        assertThat(mine).as("0x%08x", b).isEqualTo(jdk);
      }
    }
    for (int h = 0; h < 0x10000; h++) {
      float mine = f16ToFloat((short) h);
      float jdk = (float) toFloat.invoke(null, (short) h);
      assertThat(Float.floatToIntBits(mine)).isEqualTo(Float.floatToIntBits(jdk));
    }
  }
}
