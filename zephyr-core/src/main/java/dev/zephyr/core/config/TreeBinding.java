package dev.zephyr.core.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.io.ContentReference;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A Jackson deserializer that hands a config's whole tree to the config's own parser, so that
 * {@code mapper.readValue(file, X.class)} on a record annotated {@code @JsonDeserialize(using = ...)} runs exactly the
 * checks and messages of the loader that parses {@code X} (unknown keys with the file's line and a did-you-mean, typed
 * value errors). Errors name the file when the mapper reads one, else the fallback name (usually the record's).
 *
 * @param <T> the config record
 */
public abstract class TreeBinding<T> extends StdDeserializer<T> {
  private final String fallbackName;
  private final String expected;
  private final transient Parser<T> parser;

  /**
   * @param type the config record
   * @param fallbackName what errors name when the content did not come from a file
   * @param keysNoun what the mapping holds, for the error on a non-mapping ({@code "recipe keys"})
   * @param parser the config's parser
   */
  protected TreeBinding(Class<T> type, String fallbackName, String keysNoun, Parser<T> parser) {
    super(type);
    this.fallbackName = fallbackName;
    this.expected = "expected a YAML mapping of " + keysNoun;
    this.parser = parser;
  }

  /** A config's parser: its tree, the file it was read from (null when none) and the name errors give. */
  @FunctionalInterface
  public interface Parser<T> {
    T parse(JsonNode tree, Path file, String name);
  }

  @Override
  public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
    Origin o = Origin.of(p, fallbackName);
    JsonNode n = ctx.readTree(p);
    if (n == null || !n.isObject()) {
      throw new InvalidInputException(o.name(), 0, null, expected);
    }
    return parser.parse(n, o.file(), o.name());
  }

  /**
   * Reads {@code file} as a {@code type} with the plain YAML mapper (so through the type's binding); an empty or
   * unreadable file fails naming it.
   *
   * @param keysNoun as in the constructor, for the message on an empty file
   */
  public static <T> T readFile(Path file, Class<T> type, String keysNoun) {
    String empty = "expected a YAML mapping of " + keysNoun;
    try {
      T config = Json.yaml().readValue(file.toFile(), type);
      if (config == null) {
        throw new InvalidInputException(file.toString(), 0, null, empty);
      }
      return config;
    } catch (MismatchedInputException e) {
      // an empty file has no content to map
      throw new InvalidInputException(file.toString(), 0, null, empty, e);
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "cannot read YAML: " + e.getMessage(), e);
    }
  }

  /**
   * Where a config comes from: the file a mapper reads (searched for the line of a refused key), or only a name.
   *
   * @param file the file, or null
   * @param name what errors name
   */
  public record Origin(Path file, String name) {
    /** The origin of what {@code p} reads, or {@code fallback} when it is not a file. */
    public static Origin of(JsonParser p, String fallback) {
      ContentReference ref = p.currentLocation().contentReference();
      Object raw = ref == null ? null : ref.getRawContent();
      if (raw instanceof File f) {
        return new Origin(f.toPath(), f.toPath().toString());
      }
      if (raw instanceof Path path) {
        return new Origin(path, path.toString());
      }
      return new Origin(null, fallback);
    }
  }
}
