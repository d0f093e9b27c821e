package dev.zephyr.train.loop;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A test's child JVM: the test class path, offline DJL and one libtorch thread (on a loaded machine spinning worker
 * threads make small steps 20x slower), for runs that are killed, measured or must not share the test's memory.
 */
public final class ChildJvm {
  private ChildJvm() {}

  /** The command line: {@code java JVM_OPTIONS <djl settings> -cp <test class path> MAIN ARGS}. */
  public static List<String> command(List<String> jvmOptions, Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-Dai.djl.offline=true", "-Dai.djl.default_engine=PyTorch", "-Dai.djl.pytorch.num_threads=1",
        "-Dai.djl.pytorch.num_interop_threads=1"));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Starts {@code main} with a 512 MB heap, its stdout and stderr going to {@code log}. */
  public static Process start(Path log, Class<?> main, String... args) throws IOException {
    return new ProcessBuilder(command(List.of("-Xmx512m"), main, args)).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
  }
}
