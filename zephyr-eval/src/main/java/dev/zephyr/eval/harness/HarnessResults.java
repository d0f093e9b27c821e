package dev.zephyr.eval.harness;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.io.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Task results in the shape of lm-evaluation-harness's results file: {@code results} (one object per task and group,
 * {@code "<metric>,none"} and {@code "<metric>_stderr,none"} keys and an {@code alias}), {@code groups},
 * {@code group_subtasks}, {@code configs}, {@code versions}, {@code n-shot}, {@code higher_is_better},
 * {@code n-samples} and {@code config} (the run's settings).
 *
 * <p>When every subject of an MMLU category was scored, the category group ({@code mmlu_stem}...) is added, and
 * when all 57 were, the {@code mmlu} group over the four categories. A group's {@code acc} is lm-eval's: the mean of
 * its subtasks weighted by their sizes ({@code weight_by_size: True}), with the pooled standard error. The
 * {@code mmlu} group also carries {@code acc_macro,none}, the unweighted mean over the 57 subjects, which is the MMLU
 * number the Open LLM Leaderboard (and the Zephyr paper) reported.
 */
public final class HarnessResults {
  private static final String FILTER = ",none";

  private HarnessResults() {}

  /** A group's aggregate: size-weighted mean, pooled standard error, documents. */
  private record Aggregate(String name, String alias, double acc, double stderr, int size, List<String> members) {}

  /**
   * The results file's JSON.
   *
   * @param config the run's settings ({@code model}, {@code model_args}, {@code batch_size}, {@code limit}...)
   */
  public static ObjectNode toJson(List<TaskResult> results, Map<String, Object> config) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    ObjectNode res = root.putObject("results");
    ObjectNode groups = f.objectNode();
    ObjectNode groupSubtasks = f.objectNode();

    Map<String, TaskResult> mmluScored = new TreeMap<>();
    List<TaskResult> others = new ArrayList<>();
    for (TaskResult r : results) {
      if (HarnessTasks.mmluSubject(r.task()) != null) {
        mmluScored.put(HarnessTasks.mmluSubject(r.task()), r);
      } else {
        others.add(r);
      }
    }
    for (TaskResult r : others) {
      res.set(r.task().name(), taskRow(r, r.task().alias()));
      groupSubtasks.putArray(r.task().name());
    }

    Map<String, Aggregate> categories = new TreeMap<>();
    for (String category : HarnessTasks.MMLU_CATEGORIES) {
      List<TaskResult> members = new ArrayList<>();
      boolean complete = true;
      for (Map.Entry<String, String> e : HarnessTasks.MMLU_SUBJECTS.entrySet()) {
        if (e.getValue().equals(category)) {
          TaskResult r = mmluScored.get(e.getKey());
          complete &= r != null;
          if (r != null) {
            members.add(r);
          }
        }
      }
      if (complete) {
        double[] accs = members.stream().mapToDouble(r -> r.metrics().get("acc")).toArray();
        double[] ses = members.stream().mapToDouble(r -> r.stderrs().get("acc")).toArray();
        int[] sizes = members.stream().mapToInt(TaskResult::effectiveDocs).toArray();
        members.sort((a, b) -> a.task().name().compareTo(b.task().name()));
        categories.put("mmlu_" + category, new Aggregate("mmlu_" + category, category.replace('_', ' '),
            HarnessMetrics.aggregate(accs, sizes, true), HarnessMetrics.pooledStderr(ses, sizes),
            java.util.Arrays.stream(sizes).sum(), members.stream().map(r -> r.task().name()).toList()));
      }
    }
    boolean wholeMmlu = categories.size() == HarnessTasks.MMLU_CATEGORIES.size();
    if (wholeMmlu) {
      List<Aggregate> cats = new ArrayList<>(categories.values());
      double[] accs = cats.stream().mapToDouble(Aggregate::acc).toArray();
      double[] ses = cats.stream().mapToDouble(Aggregate::stderr).toArray();
      int[] sizes = cats.stream().mapToInt(Aggregate::size).toArray();
      Aggregate mmlu = new Aggregate(HarnessTasks.MMLU, HarnessTasks.MMLU, HarnessMetrics.aggregate(accs, sizes, true),
          HarnessMetrics.pooledStderr(ses, sizes), java.util.Arrays.stream(sizes).sum(),
          cats.stream().map(Aggregate::name).toList());
      ObjectNode row = groupRow(mmlu, mmlu.alias());
      double macro = mmluScored.values().stream().mapToDouble(r -> r.metrics().get("acc")).average().orElseThrow();
      row.put("acc_macro" + FILTER, macro);
      res.set(HarnessTasks.MMLU, row);
      groups.set(HarnessTasks.MMLU, row.deepCopy());
      ArrayNode members = groupSubtasks.putArray(HarnessTasks.MMLU);
      mmlu.members().forEach(members::add);
    }
    java.util.Set<String> grouped = new java.util.HashSet<>();
    for (Aggregate cat : categories.values()) {
      ObjectNode row = groupRow(cat, (wholeMmlu ? " - " : "") + cat.alias());
      res.set(cat.name(), row);
      groups.set(cat.name(), row.deepCopy());
      ArrayNode members = groupSubtasks.putArray(cat.name());
      for (String task : cat.members()) {
        members.add(task);
        TaskResult r = results.stream().filter(x -> x.task().name().equals(task)).findFirst().orElseThrow();
        res.set(task, taskRow(r, (wholeMmlu ? "  - " : " - ") + r.task().alias()));
        grouped.add(task);
      }
    }
    for (TaskResult r : mmluScored.values()) {
      if (!grouped.contains(r.task().name())) {
        res.set(r.task().name(), taskRow(r, r.task().alias()));
        groupSubtasks.putArray(r.task().name());
      }
    }
    root.set("groups", groups);
    root.set("group_subtasks", groupSubtasks);

    ObjectNode configs = root.putObject("configs");
    ObjectNode versions = root.putObject("versions");
    ObjectNode nShot = root.putObject("n-shot");
    ObjectNode higher = root.putObject("higher_is_better");
    ObjectNode nSamples = root.putObject("n-samples");
    for (TaskResult r : results) {
      HarnessTask t = r.task();
      configs.set(t.name(), taskConfig(r));
      versions.put(t.name(), t.version());
      nShot.put(t.name(), r.numFewshot());
      ObjectNode hib = higher.putObject(t.name());
      t.metrics().forEach(m -> hib.put(m, true));
      ObjectNode ns = nSamples.putObject(t.name());
      ns.put("original", r.originalDocs());
      ns.put("effective", r.effectiveDocs());
    }
    for (String g : groups.properties().stream().map(Map.Entry::getKey).toList()) {
      higher.putObject(g).put("acc", true);
    }
    root.set("config", Json.mapper().valueToTree(new LinkedHashMap<>(config)));
    return root;
  }

  private static ObjectNode taskRow(TaskResult r, String alias) {
    ObjectNode row = JsonNodeFactory.instance.objectNode();
    row.put("alias", alias);
    for (String m : r.task().metrics()) {
      row.put(m + FILTER, r.metrics().get(m));
      putStderr(row, m, r.stderrs().get(m));
    }
    return row;
  }

  private static ObjectNode groupRow(Aggregate g, String alias) {
    ObjectNode row = JsonNodeFactory.instance.objectNode();
    row.put("alias", alias);
    row.put("acc" + FILTER, g.acc());
    putStderr(row, "acc", g.stderr());
    return row;
  }

  private static void putStderr(ObjectNode row, String metric, double stderr) {
    if (Double.isNaN(stderr)) {
      row.put(metric + "_stderr" + FILTER, "N/A");
    } else {
      row.put(metric + "_stderr" + FILTER, stderr);
    }
  }

  private static ObjectNode taskConfig(TaskResult r) {
    HarnessTask t = r.task();
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    c.put("task", t.name());
    c.put("dataset_path", t.datasetPaths().get(0));
    if (t.datasetName() != null) {
      c.put("dataset_name", t.datasetName());
    } else {
      c.putNull("dataset_name");
    }
    c.put(t.evalSplit().equals("test") ? "test_split" : "validation_split", t.evalSplit());
    c.put("fewshot_split", t.fewshotSplit());
    c.put("description", t.description());
    c.put("target_delimiter", HarnessTask.TARGET_DELIMITER);
    c.put("fewshot_delimiter", HarnessTask.FEWSHOT_DELIMITER);
    c.put("num_fewshot", r.numFewshot());
    c.putObject("fewshot_config").put("sampler", t.sampler().configName());
    c.put("fewshot_seed", FewshotContexts.SEED);
    c.put("output_type", "multiple_choice");
    ArrayNode metrics = c.putArray("metric_list");
    for (String m : t.metrics()) {
      ObjectNode mo = metrics.addObject();
      mo.put("metric", m);
      mo.put("aggregation", "mean");
      mo.put("higher_is_better", true);
    }
    c.putObject("metadata").put("version", t.version());
    return c;
  }
}
