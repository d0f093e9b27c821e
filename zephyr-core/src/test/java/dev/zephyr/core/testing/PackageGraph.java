package dev.zephyr.core.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which package of a module uses which, read from the compiled classes, so a test can refuse package cycles. Each
 * edge keeps one example (a using class and a used class) so a failure says which reference to move.
 *
 * <p>Class files are read rather than sources because they hold every reference the compiler resolved: imports,
 * same-line qualified names, signatures and annotations alike; string constants are skipped.
 */
public final class PackageGraph {
  /** Why {@code from} depends on {@code to}: one class of {@code from} that names one class of {@code to}. */
  public record Edge(String from, String to, String exampleUser, String exampleUsed) {}

  private static final Pattern TYPE_IN_DESCRIPTOR = Pattern.compile("L([\\w/$]+)[;<]");

  private final Map<String, Map<String, Edge>> edges = new TreeMap<>();

  private PackageGraph() {}

  /** An empty graph to fill with {@link #add}. */
  public static PackageGraph empty() {
    return new PackageGraph();
  }

  /**
   * The graph of the module that holds {@code anyClassOfModule} (its {@code target/classes} directory), keeping only
   * references to classes whose name starts with {@code prefix} (for example {@code "dev.zephyr."}).
   */
  public static PackageGraph ofModuleOf(Class<?> anyClassOfModule, String prefix) {
    Path root;
    try {
      root = Path.of(anyClassOfModule.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the classes of " + anyClassOfModule, e);
    }
    if (!Files.isDirectory(root)) {
      throw new IllegalStateException("expected a classes directory for " + anyClassOfModule + ", found " + root);
    }
    PackageGraph graph = new PackageGraph();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
        String user = root.relativize(file).toString().replace('\\', '/');
        user = user.substring(0, user.length() - ".class".length()).replace('/', '.');
        try (InputStream in = Files.newInputStream(file)) {
          for (String used : referencedClasses(in)) {
            if (used.startsWith(prefix)) {
              graph.add(user, used);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return graph;
  }

  /** Records that class {@code user} names class {@code used} (binary names, {@code a.b.C$D}). */
  public PackageGraph add(String user, String used) {
    String from = packageOf(user);
    String to = packageOf(used);
    if (!from.equals(to)) {
      edges.computeIfAbsent(from, k -> new TreeMap<>()).putIfAbsent(to, new Edge(from, to, user, used));
    }
    return this;
  }

  /** The packages {@code pkg} uses, sorted. */
  public Set<String> dependenciesOf(String pkg) {
    return new TreeSet<>(edges.getOrDefault(pkg, Map.of()).keySet());
  }

  /**
   * Every cycle, as the edges around one loop of each strongly connected group of packages (Tarjan's algorithm);
   * empty when the packages form a hierarchy.
   */
  public List<List<Edge>> cycles() {
    List<List<Edge>> loops = new ArrayList<>();
    for (Set<String> group : stronglyConnectedGroups()) {
      loops.add(loopThrough(group));
    }
    return loops;
  }

  /** The cycles written one per line ({@code a -> b (a.X uses b.Y)}), or an empty string. */
  public String describeCycles() {
    StringBuilder text = new StringBuilder();
    for (List<Edge> loop : cycles()) {
      text.append("cycle:");
      for (Edge e : loop) {
        text.append("\n  ").append(e.from()).append(" -> ").append(e.to());
        text.append(" (").append(e.exampleUser()).append(" uses ").append(e.exampleUsed()).append(')');
      }
      text.append('\n');
    }
    return text.toString();
  }

  private List<Set<String>> stronglyConnectedGroups() {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new HashSet<>();
    List<Set<String>> groups = new ArrayList<>();
    for (String pkg : edges.keySet()) {
      if (!index.containsKey(pkg)) {
        connect(pkg, index, low, stack, onStack, groups);
      }
    }
    groups.sort(Comparator.comparing(g -> g.iterator().next()));
    return groups;
  }

  // Recursion depth is bounded by the number of packages in one module, a few dozen.
  private void connect(String pkg, Map<String, Integer> index, Map<String, Integer> low, Deque<String> stack,
      Set<String> onStack, List<Set<String>> groups) {
    index.put(pkg, index.size());
    low.put(pkg, index.get(pkg));
    stack.push(pkg);
    onStack.add(pkg);
    for (String next : edges.getOrDefault(pkg, Map.of()).keySet()) {
      if (!index.containsKey(next)) {
        connect(next, index, low, stack, onStack, groups);
        low.put(pkg, Math.min(low.get(pkg), low.get(next)));
      } else if (onStack.contains(next)) {
        low.put(pkg, Math.min(low.get(pkg), index.get(next)));
      }
    }
    if (low.get(pkg).equals(index.get(pkg))) {
      Set<String> group = new TreeSet<>();
      String member;
      do {
        member = stack.pop();
        onStack.remove(member);
        group.add(member);
      } while (!member.equals(pkg));
      if (group.size() > 1) {
        groups.add(group);
      }
    }
  }

  /** A shortest loop from the group's first package back to itself, staying inside the group (breadth-first). */
  private List<Edge> loopThrough(Set<String> group) {
    String start = group.iterator().next();
    Map<String, Edge> reachedBy = new HashMap<>();
    Deque<String> queue = new ArrayDeque<>(List.of(start));
    while (!queue.isEmpty()) {
      String pkg = queue.poll();
      for (Edge e : edges.getOrDefault(pkg, Map.of()).values()) {
        if (!group.contains(e.to())) {
          continue;
        }
        if (e.to().equals(start)) {
          List<Edge> loop = new ArrayList<>(List.of(e));
          for (String at = pkg; !at.equals(start); at = reachedBy.get(at).from()) {
            loop.add(0, reachedBy.get(at));
          }
          return loop;
        }
        if (!reachedBy.containsKey(e.to())) {
          reachedBy.put(e.to(), e);
          queue.add(e.to());
        }
      }
    }
    throw new IllegalStateException("no loop through " + start + " inside " + group);
  }

  private static String packageOf(String binaryName) {
    int dot = binaryName.lastIndexOf('.');
    return dot < 0 ? "" : binaryName.substring(0, dot);
  }

  /**
   * The binary names of the classes a class file refers to: its class constants and the types inside its descriptors
   * and generic signatures. Strings the code uses as values are left out.
   */
  static Set<String> referencedClasses(InputStream classFile) throws IOException {
    DataInputStream in = new DataInputStream(classFile);
    if (in.readInt() != 0xCAFEBABE) {
      throw new IOException("not a class file");
    }
    in.readUnsignedShort(); // minor version
    in.readUnsignedShort(); // major version
    int count = in.readUnsignedShort();
    String[] utf8 = new String[count];
    Set<Integer> classNames = new HashSet<>();
    Set<Integer> stringValues = new HashSet<>();
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1 -> utf8[i] = in.readUTF();
        case 7 -> classNames.add(in.readUnsignedShort());
        case 8 -> stringValues.add(in.readUnsignedShort());
        case 16, 19, 20 -> in.readUnsignedShort();
        case 15 -> in.skipNBytes(3);
        case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
        case 5, 6 -> {
          in.skipNBytes(8);
          i++; // longs and doubles take two slots
        }
        default -> throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
      }
    }
    Set<String> names = new TreeSet<>();
    for (int i = 1; i < count; i++) {
      if (utf8[i] == null || (stringValues.contains(i) && !classNames.contains(i))) {
        continue;
      }
      if (classNames.contains(i) && !utf8[i].startsWith("[")) {
        names.add(utf8[i].replace('/', '.'));
        continue;
      }
      Matcher m = TYPE_IN_DESCRIPTOR.matcher(utf8[i]);
      while (m.find()) {
        names.add(m.group(1).replace('/', '.'));
      }
    }
    return names;
  }
}
