package dev.zephyr.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.testing.TorchThreads;
import org.junit.jupiter.api.Test;

class DecodeThreadsTest {
  @Test
  void decodingRunsWithTheConfiguredCountAndGivesTheCallersBack() {
    int original = TorchThreads.useOne();
    try (NDManager manager = NDManager.newBaseManager()) {
      JniUtils.setNumThreads(2); // a trainer's count
      assertThat(DecodeThreads.run(manager, JniUtils::getNumThreads)).isEqualTo(1); // the default
      assertThat(JniUtils.getNumThreads()).isEqualTo(2);
      System.setProperty(DecodeThreads.PROPERTY, "3");
      assertThat(DecodeThreads.run(manager, JniUtils::getNumThreads)).isEqualTo(3);
      assertThat(JniUtils.getNumThreads()).isEqualTo(2);
      System.setProperty(DecodeThreads.PROPERTY, "0"); // leave libtorch's count alone
      assertThat(DecodeThreads.run(manager, JniUtils::getNumThreads)).isEqualTo(2);
      System.setProperty(DecodeThreads.PROPERTY, "two");
      assertThatThrownBy(() -> DecodeThreads.run(manager, JniUtils::getNumThreads))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("zephyr.generate.threads")
          .hasMessageContaining("'two'");
      assertThat(JniUtils.getNumThreads()).isEqualTo(2);
    } finally {
      System.clearProperty(DecodeThreads.PROPERTY);
      TorchThreads.restore(original);
    }
  }
}
