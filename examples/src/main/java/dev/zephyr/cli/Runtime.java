package dev.zephyr.cli;

/**
 * Process-wide defaults for DJL so the program never reaches the network: offline mode, no telemetry, the PyTorch
 * engine, CPU tokenizer natives. Values the user already set (environment or -D) win.
 */
final class Runtime {
  private Runtime() {}

  static void configureDefaults() {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("ai.djl.default_engine", "PyTorch");
    setIfAbsent("OPT_OUT_TRACKING", "true");
    setIfAbsent("RUST_FLAVOR", "cpu");
    setIfAbsent("java.awt.headless", "true");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getenv(key) == null && System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
