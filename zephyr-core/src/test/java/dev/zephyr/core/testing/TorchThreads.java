package dev.zephyr.core.testing;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Tiny-model tests are streams of very small ops; on a loaded 2-core machine a second libtorch (OpenMP) thread only
 * adds hand-offs and can make them 10-40x slower. Tests switch to one thread and restore the old count after.
 */
public final class TorchThreads {
  private TorchThreads() {}

  /** Sets libtorch to one intra-op thread and returns the previous count. */
  public static int useOne() {
    Engine.getEngine("PyTorch"); // loads libtorch
    int old = JniUtils.getNumThreads();
    JniUtils.setNumThreads(1);
    return old;
  }

  public static void restore(int threads) {
    JniUtils.setNumThreads(threads);
  }
}
