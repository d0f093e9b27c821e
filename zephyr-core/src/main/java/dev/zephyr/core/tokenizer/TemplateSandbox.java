package dev.zephyr.core.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.tree.TagNode;
import dev.zephyr.core.TemplateException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a chat template may reach, as in transformers' sandbox: no loader (so {@code include}, {@code import},
 * {@code from} and {@code extends} fail and no file or classpath resource can be read), none of Jinjava's extra filters
 * that evaluate templates or regular expressions, none of the Java methods that allocate or backtrack without bound,
 * the built-ins that allocate in proportion to an argument checked against {@link TemplateLimits}, and every filter's
 * list or dict input checked against the output limit before the filter prints it.
 */
final class TemplateSandbox {
  /** Jinjava-only filters: {@code render} evaluates a string as a template, {@code regex_replace} can backtrack. */
  static final Map<Context.Library, Set<String>> DISABLED =
      Map.of(Context.Library.FILTER, Set.of("render", "regex_replace"));

  /**
   * Java methods Jinjava would let a template call, which Python objects do not have and which allocate in
   * proportion to an argument or to everything a list holds ({@code repeat}, {@code indent}, {@code formatted},
   * {@code concat} in a loop, {@code toString}) or run a regular expression ({@code matches}, {@code replaceAll},
   * {@code replaceFirst}, {@code split}; the Python {@code split} of templates is rewritten to a function first).
   */
  static final Set<String> RESTRICTED_METHODS = Set.of("repeat", "indent", "formatted", "concat", "toString",
      "matches", "replaceAll", "replaceFirst", "split");

  private static final Pattern FORMAT_FIELD = Pattern.compile("%(?:\\d+\\$)?[-#+ 0,(<]*(\\d+)?(?:\\.(\\d+))?");

  private TemplateSandbox() {}

  /** Installs the loader refusal, the bounded built-ins and the bounded {@code range} on {@code jinjava}. */
  static void install(Jinjava jinjava) {
    jinjava.setResourceLocator((name, charset, interpreter) -> {
      throw new ResourceNotFoundException("chat templates have no loader; cannot read " + name);
    });
    for (String tag : new String[] {"include", "import", "from", "extends"}) {
      jinjava.registerTag(new NoLoaderTag(tag));
    }
    jinjava.registerFunction(new ELFunctionDefinition("", "range", TemplateGuard.class, "range", Object.class,
        Object[].class));
    Map<String, ArgumentCheck> sizeArguments = Map.of(
        "center", (var, args, kwargs) -> TemplateGuard.argument("center(width)", arg(args, kwargs, 0, "width")),
        "batch", (var, args, kwargs) -> TemplateGuard.argument("batch(linecount)", arg(args, kwargs, 0,
            "linecount")),
        "round", (var, args, kwargs) -> TemplateGuard.argument("round(precision)", arg(args, kwargs, 0,
            "precision")),
        "indent", TemplateSandbox::checkIndent,
        "format", (var, args, kwargs) -> checkFormat(var));
    for (String name : sizeArguments.keySet()) {
      if (jinjava.getGlobalContext().getFilter(name) == null) {
        throw new IllegalStateException("Jinjava has no filter named " + name);
      }
    }
    for (Filter filter : List.copyOf(jinjava.getGlobalContext().getAllFilters())) {
      ArgumentCheck sizes = sizeArguments.getOrDefault(filter.getName(), (var, args, kwargs) -> { });
      jinjava.registerFilter(new BoundedFilter(filter, (var, args, kwargs) -> {
        checkPrintedSizes(filter.getName(), var, args, kwargs);
        sizes.check(var, args, kwargs);
      }));
    }
  }

  private static void checkPrintedSizes(String filter, Object var, Object[] args, Map<String, Object> kwargs) {
    TemplateGuard.filterInput(filter, var);
    if (args != null) {
      for (Object arg : args) {
        TemplateGuard.filterInput(filter, arg);
      }
    }
    if (kwargs != null) {
      kwargs.values().forEach(arg -> TemplateGuard.filterInput(filter, arg));
    }
  }

  /** {@code indent(width)}: the width is bounded, and so is the text it makes (one indent per line). */
  private static void checkIndent(Object var, Object[] args, Map<String, Object> kwargs) {
    Object width = arg(args, kwargs, 0, "width");
    TemplateGuard.argument("indent(width)", width);
    long spaces = count(width);
    if (spaces > 0 && var != null) {
      String text = var.toString();
      long lines = text.chars().filter(c -> c == '\n').count() + 1;
      TemplateGuard.length(text.length() + lines * spaces);
    }
  }

  /** A size argument as a number (a string of digits too, as filters receive them), saturating; 0 if neither. */
  private static long count(Object value) {
    if (value instanceof Number n) {
      return Math.max(0, n.longValue());
    }
    if (value instanceof CharSequence s && s.toString().strip().matches("\\d+")) {
      String digits = s.toString().strip();
      return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }
    return 0;
  }

  /** {@code format}: each field's width and precision are bounded, and so is their sum. */
  private static void checkFormat(Object var) {
    if (var == null) {
      return;
    }
    String pattern = var.toString();
    Matcher m = FORMAT_FIELD.matcher(pattern);
    long total = pattern.length();
    while (m.find()) {
      for (int group = 1; group <= 2; group++) {
        if (m.group(group) != null) {
          TemplateGuard.argument("the format field '" + m.group() + "'", m.group(group));
          total = Math.min(Long.MAX_VALUE / 2, total + count(m.group(group)));
        }
      }
    }
    TemplateGuard.length(total);
  }

  private static Object arg(Object[] args, Map<String, Object> kwargs, int position, String name) {
    if (kwargs != null && kwargs.containsKey(name)) {
      return kwargs.get(name);
    }
    return args != null && args.length > position ? args[position] : null;
  }

  /** Checks a filter's input and arguments before the filter runs. */
  @FunctionalInterface
  interface ArgumentCheck {
    void check(Object var, Object[] args, Map<String, Object> kwargs);
  }

  /** A Jinjava filter with its input and size arguments checked first; otherwise unchanged. */
  static final class BoundedFilter implements Filter {
    private final Filter inner;
    private final ArgumentCheck check;

    BoundedFilter(Filter inner, ArgumentCheck check) {
      this.inner = inner;
      this.check = check;
    }

    @Override
    public String getName() {
      return inner.getName();
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      check.check(var, args, Map.of());
      return inner.filter(var, interpreter, args);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      check.check(var, args, kwargs);
      return inner.filter(var, interpreter, args, kwargs);
    }

    @Override
    public Object filter(SafeString var, JinjavaInterpreter interpreter, String... args) {
      check.check(var, args, Map.of());
      return inner.filter(var, interpreter, args);
    }

    @Override
    public boolean preserveSafeString() {
      return inner.preserveSafeString();
    }
  }

  /** {@code include}, {@code import}, {@code from} and {@code extends}: chat templates have no loader. */
  static final class NoLoaderTag implements Tag {
    private static final long serialVersionUID = 1L;
    private final String name;

    NoLoaderTag(String name) {
      this.name = name;
    }

    @Override
    public String getName() {
      return name;
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      throw TemplateGuard.abort(new TemplateException("chat template uses {% " + name + " %} at line "
          + tagNode.getLineNumber() + ", but chat templates have no loader (transformers renders them without one),"
          + " so they cannot read other templates, files or resources"));
    }
  }
}
