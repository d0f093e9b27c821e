package dev.zephyr.core.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.ProviderStoppedException;
import dev.zephyr.core.io.JsonlAppender;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls of one job run that failed for good, one JSON line each ({@link Entry}), kept apart from the job's outputs
 * so that no reader of those outputs (ours, FastChat's, alpaca_eval's, a {@code datasets} loader) can mistake a failure
 * for a result. The file holds the latest run's failures only: opening the log deletes an earlier run's file, and the
 * file is created on the first failure, so its absence means the run had none.
 *
 * <p>A call that was not sent because its provider had stopped ({@link ProviderStoppedException}) is not a failure of
 * that call: it is not written, and it marks the log as {@linkplain #stopped() stopped} so the job starts no new work.
 * Safe for use from several threads.
 */
public final class FailureLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FailureLog.class);
  /** The failures file of a job that writes a directory. */
  public static final String FILE_NAME = "failures.jsonl";
  /**
   * Appended to the name of a job's output file for its failures file. Not {@code .jsonl}: tools that read every
   * {@code *.jsonl} of a directory (FastChat's {@code model_answer/}) must not take it for an output.
   */
  public static final String SUFFIX = ".failures";

  private final Path file;
  private JsonlAppender out;
  private long failures;
  private final Set<String> failedItems = new HashSet<>();
  private ProviderStoppedException stop;

  private FailureLog(Path file) {
    this.file = file;
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove the previous run's " + file, e);
      }
    }
  }

  /** {@code dir/failures.jsonl}, for a job whose outputs are a directory. */
  public static FailureLog inDirectory(Path dir) {
    return new FailureLog(dir.resolve(FILE_NAME));
  }

  /** {@code FILE.failures} beside a job's output file. */
  public static FailureLog besideFile(Path output) {
    return new FailureLog(fileBeside(output));
  }

  /** Where {@link #besideFile} writes the failures of {@code output}. */
  public static Path fileBeside(Path output) {
    return output.resolveSibling(output.getFileName() + SUFFIX);
  }

  /** Counts failures and stops without writing anything (library calls that were given no output file). */
  public static FailureLog inMemory() {
    return new FailureLog(null);
  }

  /**
   * Records that a call for {@code item} failed for good.
   *
   * @param item the job's item, as its outputs key it (a prompt id, a question id and turn, an instruction)
   * @param call which of the item's calls ({@code completion}, {@code judge}, {@code answer}...)
   * @return true when the failure counts against the item; false when the call was never sent because its provider had
   *     stopped (the item is then pending, not failed)
   */
  public synchronized boolean record(String item, String call, ProviderException failure) {
    if (failure instanceof ProviderStoppedException stopped) {
      if (stop == null) {
        stop = stopped;
        LOG.info("{}", stopped.getMessage());
      }
      return false;
    }
    failures++;
    failedItems.add(item);
    // the first failure is worth a warning during a long run; the rest are in the file (and at INFO)
    if (failures == 1) {
      LOG.warn("{} {} failed for good: {}{}", call, item, failure.getMessage(),
          file != null ? " (this run's failed calls are listed in " + file + ")" : "");
    } else {
      LOG.info("{} {} failed for good: {}", call, item, failure.getMessage());
    }
    if (file != null) {
      if (out == null) {
        out = JsonlAppender.open(file);
      }
      out.append(new Entry(item, call, failure.provider(), failure.status() > 0 ? failure.status() : null,
          failure.retryable(), failure.getMessage()));
    }
    return true;
  }

  /**
   * Sends a batch through {@link ChatModel#completeEach} and records each call that fails here, under
   * {@code item.apply(i)}; one failed call does not stop the others.
   */
  public Answers answer(ChatModel model, List<ChatRequest> requests, IntFunction<String> item, String call) {
    ChatResponse[] responses = new ChatResponse[requests.size()];
    boolean[] failed = new boolean[requests.size()];
    if (!requests.isEmpty()) {
      model.completeEach(requests, (i, response, failure) -> {
        if (failure != null) {
          boolean counts = record(item.apply(i), call, failure);
          synchronized (failed) {
            failed[i] = counts;
          }
        } else {
          synchronized (responses) {
            responses[i] = response;
          }
        }
      });
    }
    return new Answers(responses, failed);
  }

  /** Calls recorded as failed. */
  public synchronized long failures() {
    return failures;
  }

  /** True when a call for {@code item} was recorded as failed in this run. */
  public synchronized boolean failed(String item) {
    return failedItems.contains(item);
  }

  /** True once a call came back unsent because its provider stopped: the job should start no new work. */
  public synchronized boolean stopped() {
    return stop != null;
  }

  /** Why the job stopped (the provider, the status, the endpoint and the last error), or null. */
  public synchronized String stopReason() {
    return stop == null ? null : stop.getMessage();
  }

  /** The failures file (it exists only when {@link #failures()} is positive), or null for {@link #inMemory()}. */
  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() {
    if (out != null) {
      out.close();
      out = null;
    }
  }

  /** The outcome of each call of a batch sent through {@link #answer}. */
  public static final class Answers {
    private final ChatResponse[] responses;
    private final boolean[] failed;

    private Answers(ChatResponse[] responses, boolean[] failed) {
      this.responses = responses;
      this.failed = failed;
    }

    /** The response to request {@code i}, or null when that call failed or was never sent. */
    public ChatResponse get(int i) {
      return responses[i];
    }

    /** True when call {@code i} failed for good (false when it succeeded or was never sent). */
    public boolean failed(int i) {
      return failed[i];
    }

    /** True when every call succeeded. */
    public boolean allAnswered() {
      for (ChatResponse r : responses) {
        if (r == null) {
          return false;
        }
      }
      return true;
    }

    /** Completion tokens of the answered calls. */
    public long completionTokens() {
      long n = 0;
      for (ChatResponse r : responses) {
        n += r == null ? 0 : r.completionTokens();
      }
      return n;
    }
  }

  /**
   * One line of the failures file.
   *
   * @param item the job's item
   * @param call which call of the item
   * @param model the provider's name
   * @param status the HTTP status, absent when there was none (timeouts, connection failures)
   * @param retryable whether the provider thought a later attempt could succeed
   * @param error the message, with the API key redacted
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Entry(String item, String call, String model, Integer status, boolean retryable, String error) {}
}
