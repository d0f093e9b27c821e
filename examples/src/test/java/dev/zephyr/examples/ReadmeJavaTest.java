package dev.zephyr.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.quickstart.ChattyTeacher;
import dev.zephyr.quickstart.QuickstartWorld;
import dev.zephyr.quickstart.Task;
import dev.zephyr.quickstart.TrainedStages;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the top README.md compiles against the library modules alone (no class of the
 * examples module, no test library on the class path), and the first one, the Pipeline snippet, runs as written on a
 * tiny world: in a fresh JVM whose working directory holds the files it names.
 */
class ReadmeJavaTest {
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
  /**
   * Class-path entries a library user does not have: the CLI module, test classes, test libraries and a logging
   * backend (the library logs through the SLF4J API only).
   */
  private static final List<String> NOT_LIBRARY = List.of("/examples/target/", "test-classes", "-tests.jar",
      "junit", "opentest4j", "apiguardian", "assertj", "mockito", "byte-buddy", "objenesis", "picocli",
      "logback");

  @Test
  void everyJavaBlockCompilesAgainstTheLibraryModules(@TempDir Path dir) throws IOException {
    List<String> blocks = javaBlocks();
    assertThat(blocks).as("README.md has Java blocks").isNotEmpty();
    for (int i = 0; i < blocks.size(); i++) {
      compile(blocks.get(i), "ReadmeBlock" + i, dir.resolve("classes" + i));
    }
  }

  @Test
  void thePipelineSnippetRunsAsWrittenOnATinyWorld(@TempDir Path dir) throws Exception {
    Path classes = dir.resolve("classes");
    compile(javaBlocks().get(0), "ReadmePipeline", classes);
    Path cwd = Files.createDirectories(dir.resolve("user"));
    tinyWorld(cwd);

    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-cp",
        classes + File.pathSeparator + libraryClassPath(), "ReadmePipeline")
        .directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();

    // the snippet prints the final model and the dDPO metrics the trainer logged last
    Path finalModel = cwd.resolve("runs/zephyr/03-ddpo/model");
    assertThat(out).containsPattern("(?m)^aligned model: .*" + Pattern.quote(
        Path.of("runs", "zephyr", "03-ddpo", "model").toString()) + "$");
    assertThat(finalModel.resolve("config.json")).isRegularFile();
    assertThat(finalModel.resolve("tokenizer.json")).isRegularFile();
    Map<String, Double> last = lastLogged(finalModel);
    assertThat(last).containsKeys("rewards/accuracies", "rewards/margins", "loss");
    assertThat(out).contains(String.format(Locale.ROOT, "rewards/accuracies: %s", last.get("rewards/accuracies")));
    assertThat(last.get("rewards/accuracies")).isBetween(0.0, 1.0);
  }

  /** The last value of each key in the metrics file that the trainer wrote for a model. */
  private static Map<String, Double> lastLogged(Path model) throws IOException {
    Path metrics;
    try (Stream<Path> s = Files.walk(model.getParent())) {
      metrics = s.filter(f -> f.getFileName().toString().equals("metrics.jsonl")).findFirst().orElseThrow();
    }
    return dev.zephyr.train.loop.MetricsLog.lastValues(metrics);
  }

  /**
   * The files the snippet names, made small: a student initialised like the quickstart's, 48 teacher demonstrations
   * and 24 preference pairs (the correct concise answer over a chatty wrong one).
   */
  private static void tinyWorld(Path cwd) throws Exception {
    QuickstartWorld world = new QuickstartWorld(7, 48, 24, 4, 40, 2, 60);
    QuickstartWorld.Files files = world.write(cwd.resolve("world"), new ChattyTeacher(7, 0.5));
    Path data = Files.createDirectories(cwd.resolve("data"));
    Files.copy(files.demonstrations(), data.resolve("demonstrations.jsonl"));
    List<Map<String, Object>> pairs = new ArrayList<>();
    for (Task t : world.prompts().aif()) {
      Message user = Message.user(t.prompt());
      pairs.add(Map.of("prompt", t.prompt(), "prompt_id", t.promptId(),
          "chosen", List.of(user, Message.assistant(t.answer())),
          "rejected", List.of(user, Message.assistant("Sure, I can help with that! It is " + t.answer() + "0."))));
    }
    Jsonl.writeAll(data.resolve("preferences.jsonl"), pairs);
    new TrainedStages(TrainedStages.Settings.small()).initStudent(files.tokenizer(), cwd.resolve("models/student"), 7);
    assertThat(Jsonl.readAll(data.resolve("preferences.jsonl"))).hasSize(24).allSatisfy(
        (JsonNode row) -> assertThat(row.get("chosen").get(1).get("content").asText()).isNotBlank());
  }

  private static List<String> javaBlocks() throws IOException {
    Matcher m = JAVA_BLOCK.matcher(Files.readString(readme()));
    List<String> blocks = new ArrayList<>();
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  private static Path readme() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("zephyr-train"))) {
        return p.resolve("README.md");
      }
    }
    throw new IllegalStateException("no README.md above " + Path.of("").toAbsolutePath());
  }

  /**
   * A block's imports stay at the top, the rest becomes the body of {@code main}; a block that declares its own
   * class compiles as it is.
   */
  static String asSource(String block, String className) {
    if (block.contains(" class ") || block.startsWith("class ")) {
      return block;
    }
    StringBuilder imports = new StringBuilder();
    StringBuilder body = new StringBuilder();
    for (String line : block.split("\n", -1)) {
      (line.startsWith("import ") ? imports : body).append(line).append('\n');
    }
    return imports + "public final class " + className + " {\n  public static void main(String[] args) throws Exception {\n"
        + body + "  }\n}\n";
  }

  private static void compile(String block, String className, Path out) throws IOException {
    Files.createDirectories(out);
    Path src = out.resolve(className + ".java");
    Files.writeString(src, asSource(block, className));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      boolean ok = javac.getTask(null, fm, diagnostics,
          List.of("--release", "17", "-proc:none", "-cp", libraryClassPath(), "-d", out.toString()), null,
          fm.getJavaFileObjects(src)).call();
      StringBuilder why = new StringBuilder();
      for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
        why.append(d.getKind()).append(" line ").append(d.getLineNumber()).append(": ")
            .append(d.getMessage(Locale.ROOT)).append('\n');
      }
      assertThat(ok).as("README block compiles:\n%s\n%s", Files.readString(src), why).isTrue();
    }
  }

  /** This test's class path less everything a user of zephyr-train and zephyr-eval would not have. */
  static String libraryClassPath() {
    List<String> keep = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String unix = entry.replace(File.separatorChar, '/');
      if (NOT_LIBRARY.stream().noneMatch(unix::contains)) {
        keep.add(entry);
      }
    }
    return String.join(File.pathSeparator, keep);
  }
}
