package dev.zephyr.core.tokenizer;

import com.hubspot.jinjava.el.JinjavaNodePreProcessor;
import com.hubspot.jinjava.interpret.CollectionTooBigException;
import com.hubspot.jinjava.interpret.InvalidInputException;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.OutputTooBigException;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.interpret.errorcategory.BasicTemplateErrorCategory;
import com.hubspot.jinjava.lib.fn.Functions;
import com.hubspot.jinjava.objects.PyWrapper;
import com.hubspot.jinjava.objects.collections.PyList;
import com.hubspot.jinjava.objects.collections.PyMap;
import com.hubspot.jinjava.tree.Node;
import dev.zephyr.core.TemplateException;
import dev.zephyr.core.TemplateLimitException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Enforces {@link TemplateLimits} during one render. The render installs its guard on the rendering thread
 * ({@link #enter()}), so the filters and functions a template calls can check their arguments against it, and Jinjava
 * calls {@link #preProcessor()} before every node it renders, which checks the clock.
 *
 * <p>The first limit hit is kept and thrown as an {@link Abort}, an {@link Error}. Jinjava turns the exceptions thrown
 * inside a render into recorded errors and renders on (a loop of a million steps would fail a million times); it lets
 * errors pass its node handlers, so an {@code Abort} thrown before a node ends the render. Filters and functions are
 * called by reflection, which wraps even errors, so a limit hit there is rethrown before the next node, and
 * {@link ChatTemplate} reports the kept {@link TemplateException} in any case.
 */
final class TemplateGuard {
  private static final ThreadLocal<TemplateGuard> CURRENT = new ThreadLocal<>();
  private static final Pattern DIGITS = Pattern.compile("\\s*\\d+\\s*");
  /** Jinjava's message for InvalidReason.LENGTH (2.8.4). */
  private static final String STRING_TOO_LONG = "exceeds maximum allowed length";

  private final TemplateLimits limits;
  private final long inputChars;
  /** Printed sizes of the lists and dicts the render was given, so filters on them need not walk them again. */
  private final Map<Object, Long> inputSizes;
  /** Items a list or dict may hold: the argument limit, or more when the input itself holds more. */
  private final int maxCollection;
  private final long deadlineNanos;
  /** The first limit this render hit; rendering is single-threaded, so no synchronisation. */
  private TemplateException failure;

  private TemplateGuard(TemplateLimits limits, Map<String, ?> input) {
    this.limits = limits;
    this.deadlineNanos = System.nanoTime() + limits.renderTime().toNanos();
    this.inputSizes = new IdentityHashMap<>();
    long total = 0;
    int[] largest = {0};
    for (Map.Entry<String, ?> e : input.entrySet()) {
      long size = printedSize(e.getValue(), Long.MAX_VALUE, largest);
      if (isContainer(e.getValue())) {
        inputSizes.put(e.getValue(), size);
      }
      total += e.getKey().length() + size;
    }
    this.inputChars = total;
    this.maxCollection = Math.max(limits.maxArgument(), largest[0]);
  }

  /** A guard whose clock starts now, for a render of {@code input} (the messages and variables the template sees). */
  static TemplateGuard start(TemplateLimits limits, Map<String, ?> input) {
    return new TemplateGuard(limits, input);
  }

  private static boolean isContainer(Object v) {
    return v instanceof Map<?, ?> || v instanceof Collection<?> || v instanceof PyWrapper;
  }

  /**
   * About how many characters {@code value} prints as: its strings plus two per item (separators, short numbers),
   * through lists and dicts, walked without recursion and only until the count passes {@code stopAbove}. When
   * {@code largest} is given, its only element is raised to the item count of the largest list or dict met.
   */
  private long printedSize(Object value, long stopAbove, int[] largest) {
    long total = 0;
    long visited = 0;
    Deque<Object> pending = new ArrayDeque<>();
    pending.push(value == null ? "" : value);
    while (!pending.isEmpty() && total <= stopAbove) {
      Object v = unwrap(pending.pop());
      Long known = inputSizes.get(v);
      total += 2;
      if (known != null) {
        total += known;
      } else if (v instanceof CharSequence s) {
        total += s.length();
      } else if (v instanceof Map<?, ?> m) {
        if (largest != null) {
          largest[0] = Math.max(largest[0], m.size());
        }
        m.forEach((k, x) -> {
          pending.push(k == null ? "" : k);
          pending.push(x == null ? "" : x);
        });
      } else if (v instanceof Collection<?> c) {
        if (largest != null) {
          largest[0] = Math.max(largest[0], c.size());
        }
        c.forEach(x -> pending.push(x == null ? "" : x));
      }
      if (++visited % 4096 == 0) {
        checkTime();
      }
    }
    return total;
  }

  /** The list or dict inside Jinjava's wrapper, whose identity is the one the render was given. */
  private static Object unwrap(Object v) {
    if (v instanceof PyList list) {
      return list.toList();
    }
    if (v instanceof PyMap map) {
      return map.toMap();
    }
    return v;
  }

  /**
   * Fails when {@code value}, a list or dict handed to the filter {@code filter}, prints longer than the output cap:
   * Jinjava's filters turn their input into a string before anything else, so a list holding one long string many
   * times would otherwise be expanded in full.
   */
  void checkPrintedSize(String filter, Object value) {
    if (isContainer(value) && printedSize(value, outputCap(), null) > outputCap()) {
      throw fail(outputExceeded("value passed to the filter '" + filter + "'"));
    }
  }

  TemplateLimits limits() {
    return limits;
  }

  /** Characters a render may produce or hold in one string: the limit plus the input's own text. */
  long outputCap() {
    long cap = limits.maxOutputChars() + inputChars;
    return cap < 0 ? Long.MAX_VALUE : cap;
  }

  /** Items a list or dict may hold in this render (Jinjava's list and dict size limit). */
  int maxCollection() {
    return maxCollection;
  }

  /** The first limit this render hit, or null. */
  TemplateException failure() {
    return failure;
  }

  /** Makes this the guard of the current thread until the returned scope closes. */
  Scope enter() {
    TemplateGuard previous = CURRENT.get();
    CURRENT.set(this);
    return () -> {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    };
  }

  /** Restores the previous guard of the thread. */
  interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** Jinjava's own pre-processing (current node, thread interrupts), then the kept failure, clock and errors. */
  JinjavaNodePreProcessor preProcessor() {
    return new JinjavaNodePreProcessor() {
      @Override
      public void accept(Node node, JinjavaInterpreter interpreter) {
        super.accept(node, interpreter);
        if (failure != null) {
          throw new Abort(failure);
        }
        checkTime();
        interpreter.getLastError().ifPresent(error -> {
          TemplateException limit = limitError(error);
          if (limit != null) {
            throw fail(limit);
          }
        });
      }
    };
  }

  /** Keeps {@code e} as this render's failure unless one is kept already, and returns the error that ends it. */
  Abort fail(TemplateException e) {
    if (failure == null) {
      failure = e;
    }
    return new Abort(failure);
  }

  /** {@link #fail} on the current render's guard; outside a render, just the error carrying {@code e}. */
  static Abort abort(TemplateException e) {
    TemplateGuard guard = CURRENT.get();
    return guard != null ? guard.fail(e) : new Abort(e);
  }

  void checkTime() {
    if (System.nanoTime() - deadlineNanos > 0) {
      throw fail(new TemplateLimitException("chat template did not finish within the render time limit of "
          + describe(limits.renderTime()) + " (TemplateLimits.renderTime); " + TemplateLimits.HOW_TO_CHANGE));
    }
  }

  /**
   * The limit that a recorded Jinjava error reports, or null when it reports none: Jinjava records an over-long
   * output, an over-large collection and a macro recursing past its depth as errors, and keeps rendering.
   */
  TemplateException limitError(TemplateError error) {
    if (error.getReason() == TemplateError.ErrorReason.OUTPUT_TOO_BIG
        || anyCause(error.getException(), OutputTooBigException.class::isInstance)
        // Jinjava's replace and join filters refuse a result over the maximum string length this way.
        || anyCause(error.getException(), t -> t instanceof InvalidInputException
            && String.valueOf(t.getMessage()).contains(STRING_TOO_LONG))) {
      return outputExceeded("output");
    }
    if (error.getReason() == TemplateError.ErrorReason.COLLECTION_TOO_BIG
        || anyCause(error.getException(), CollectionTooBigException.class::isInstance)) {
      return new TemplateLimitException("chat template built a list or dict of more than " + maxCollection
          + " items, over the argument limit (TemplateLimits.maxArgument = " + limits.maxArgument() + "); "
          + TemplateLimits.HOW_TO_CHANGE);
    }
    if (error.getCategory() == BasicTemplateErrorCategory.CYCLE_DETECTED) {
      // Jinjava reports this as a warning and renders nothing for the call.
      return new TemplateLimitException("chat template macro recursion: " + error.getMessage() + ", over the depth limit"
          + " (TemplateLimits.maxDepth = " + limits.maxDepth() + "); " + TemplateLimits.HOW_TO_CHANGE);
    }
    return null;
  }

  private static boolean anyCause(Throwable t, Predicate<Throwable> test) {
    for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
      if (test.test(t)) {
        return true;
      }
    }
    return false;
  }

  TemplateException outputExceeded(String what) {
    return new TemplateLimitException("chat template " + what + " exceeds the output limit of " + outputCap()
        + " characters (TemplateLimits.maxOutputChars = " + limits.maxOutputChars() + " plus the " + inputChars
        + " characters of the conversation and variables); " + TemplateLimits.HOW_TO_CHANGE);
  }

  /** Fails when a size argument such as {@code tojson(indent=N)} exceeds {@link TemplateLimits#maxArgument}. */
  void checkArgument(String call, Object value) {
    if (exceeds(value, limits.maxArgument())) {
      throw fail(new TemplateLimitException("chat template asks " + call + " for " + value
          + ", over the argument limit of " + limits.maxArgument() + " (TemplateLimits.maxArgument); "
          + TemplateLimits.HOW_TO_CHANGE));
    }
  }

  /** Fails when a string about to be built would be longer than {@link #outputCap()}. */
  void checkLength(long chars) {
    if (chars > outputCap()) {
      throw fail(outputExceeded("output"));
    }
  }

  /** {@link #checkPrintedSize} against the current render's guard; nothing outside a render. */
  static void filterInput(String filter, Object value) {
    TemplateGuard guard = CURRENT.get();
    if (guard != null) {
      guard.checkPrintedSize(filter, value);
    }
  }

  /** {@link #checkArgument} against the current render's guard; nothing outside a render. */
  static void argument(String call, Object value) {
    TemplateGuard guard = CURRENT.get();
    if (guard != null) {
      guard.checkArgument(call, value);
    }
  }

  /** {@link #checkLength} and {@link #checkTime} against the current render's guard; nothing outside a render. */
  static void length(long chars) {
    TemplateGuard guard = CURRENT.get();
    if (guard != null) {
      guard.checkLength(chars);
      guard.checkTime();
    }
  }

  /** Whether {@code value}, a number or a string of digits, is larger than {@code max}. */
  static boolean exceeds(Object value, long max) {
    if (value instanceof BigDecimal b) {
      return b.compareTo(BigDecimal.valueOf(max)) > 0;
    }
    if (value instanceof BigInteger b) {
      return b.compareTo(BigInteger.valueOf(max)) > 0;
    }
    if (value instanceof Double || value instanceof Float) {
      return ((Number) value).doubleValue() > max;
    }
    if (value instanceof Number n) {
      return n.longValue() > max;
    }
    if (value instanceof CharSequence s && DIGITS.matcher(s).matches()) {
      return new BigInteger(s.toString().trim()).compareTo(BigInteger.valueOf(max)) > 0;
    }
    return false;
  }

  private static String describe(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
  }

  /**
   * {@code range(...)} as Jinjava computes it, but failing beyond {@link TemplateLimits#maxArgument} numbers where
   * Jinjava would silently cut the list short (Python's range has no such cut, so a short list would render wrongly).
   */
  public static List<Integer> range(Object first, Object... rest) {
    List<Integer> values = Functions.range(first, rest);
    TemplateGuard guard = CURRENT.get();
    if (guard != null && values.size() > guard.limits.maxArgument()) {
      throw guard.fail(new TemplateLimitException("chat template calls range(...) for more than "
          + guard.limits.maxArgument() + " numbers, over the argument limit (TemplateLimits.maxArgument = "
          + guard.limits.maxArgument() + "); " + TemplateLimits.HOW_TO_CHANGE));
    }
    return values;
  }

  /** Ends a render that hit a limit; carries the exception the caller of the render receives. */
  static final class Abort extends Error {
    private static final long serialVersionUID = 1L;
    private final transient TemplateException exception;

    Abort(TemplateException exception) {
      super(exception.getMessage(), null, false, false);
      this.exception = exception;
    }

    TemplateException exception() {
      return exception;
    }
  }
}
