package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.zephyr.core.tokenizer.TinyTokenizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zephyr chat-template --template-file} with the hostile templates of issue 13: each conversation gets an
 * error line naming the limit that stopped it, instead of a hang, an OutOfMemoryError, a stack dump, or the text of a
 * classpath resource.
 */
class ChatTemplateSandboxCliTest {
  /** The single output line of rendering one short conversation with {@code template}. */
  private static String renderOne(Path dir, String template) throws IOException {
    Path tokenizer = TinyTokenizers.characterLevel(Files.createDirectories(dir.resolve("tok")));
    Path templateFile = Files.writeString(dir.resolve("t.jinja"), template, StandardCharsets.UTF_8);
    Path input = Files.writeString(dir.resolve("in.jsonl"),
        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n", StandardCharsets.UTF_8);
    CliRun r = CliRun.of("chat-template", "--tokenizer", tokenizer.toString(), "--input", input.toString(),
        "--template-file", templateFile.toString());
    assertThat(r.err()).doesNotContain("Exception", "Error:", "\tat ").contains("1 of 1 conversations");
    assertThat(r.code()).as("a conversation that did not render fails the run").isEqualTo(1);
    return r.out().strip();
  }

  @Test
  void includeOfAClasspathResourceIsRefused(@TempDir Path dir) throws IOException {
    String out = renderOne(dir, "{% include 'logback.xml' %}{% include 'META-INF/MANIFEST.MF' %}");
    assertThat(out).contains("\"error\"", "{% include %}", "no loader").doesNotContain("<configuration",
        "Manifest-Version");
  }

  @Test
  void threeNestedThousandLoopsStopAtTheDefaultTimeLimit(@TempDir Path dir) {
    String out = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> renderOne(dir,
        "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}"
            + "{% endfor %}"));
    assertThat(out).contains("\"error\"", "render time limit of 5 s", "TemplateLimits.renderTime");
  }

  @Test
  void deepNestingAndHugeArgumentsNameTheirLimits(@TempDir Path dir) throws IOException {
    assertThat(renderOne(dir.resolve("a"), "{% if true %}".repeat(3000) + "x" + "{% endif %}".repeat(3000)))
        .contains("\"error\"", "nests 3000 levels deep", "TemplateLimits.maxDepth");
    assertThat(renderOne(dir.resolve("b"), "{{ messages|tojson(indent=1000000000) }}"))
        .contains("\"error\"", "tojson(indent=...)", "TemplateLimits.maxArgument");
    assertThat(renderOne(dir.resolve("c"), "{% for i in range(100000) %}{{ messages|tojson }}{% endfor %}"))
        .contains("\"error\"", "output limit", "TemplateLimits.maxOutputChars");
  }
}
