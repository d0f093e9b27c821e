package dev.zephyr.eval.harness;

import dev.zephyr.core.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Open LLM Leaderboard tasks as lm-evaluation-harness configures them: {@code arc_challenge} and
 * {@code arc_easy} ({@code arc/arc_easy.yaml}), {@code hellaswag} ({@code hellaswag/hellaswag.yaml}), the 57
 * {@code mmlu_<subject>} tasks ({@code mmlu/default/_default_template_yaml} and the generated subject files) with the
 * {@code mmlu} group over the categories {@code mmlu_stem}, {@code mmlu_other}, {@code mmlu_social_sciences} and
 * {@code mmlu_humanities}, and {@code truthfulqa_mc1} / {@code truthfulqa_mc2}.
 */
public final class HarnessTasks {
  /** The MMLU group's name. */
  public static final String MMLU = "mmlu";

  /** Each MMLU subject and its category, in the order of lm-eval's {@code _generate_configs.py}. */
  public static final Map<String, String> MMLU_SUBJECTS = mmluSubjects();

  /** The MMLU categories in the order the {@code mmlu} group lists them. */
  public static final List<String> MMLU_CATEGORIES = List.of("stem", "other", "social_sciences", "humanities");

  private static final Map<String, HarnessTask> TASKS = build();

  private HarnessTasks() {}

  /** Every task by name, in a stable order. */
  public static Map<String, HarnessTask> all() {
    return TASKS;
  }

  /**
   * The tasks a comma-separated list of names asks for: task names, or {@code mmlu} for the 57 subjects (also
   * {@code mmlu_stem} and the other category names for their subjects).
   *
   * @throws InvalidInputException naming an unknown task
   */
  public static List<HarnessTask> resolve(List<String> names) {
    Set<HarnessTask> out = new LinkedHashSet<>();
    for (String raw : names) {
      String name = raw.strip().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        continue;
      }
      if (name.equals(MMLU)) {
        MMLU_SUBJECTS.keySet().forEach(s -> out.add(TASKS.get("mmlu_" + s)));
      } else if (name.startsWith("mmlu_") && MMLU_CATEGORIES.contains(name.substring(5))) {
        String category = name.substring(5);
        MMLU_SUBJECTS.forEach((s, c) -> {
          if (c.equals(category)) {
            out.add(TASKS.get("mmlu_" + s));
          }
        });
      } else if (TASKS.containsKey(name)) {
        out.add(TASKS.get(name));
      } else {
        throw InvalidInputException.field("--task", "task", "unknown task '" + raw + "' (arc_challenge, arc_easy,"
            + " hellaswag, mmlu, mmlu_<subject>, mmlu_stem/other/social_sciences/humanities, truthfulqa_mc1,"
            + " truthfulqa_mc2)");
      }
    }
    if (out.isEmpty()) {
      throw InvalidInputException.field("--task", "task", "no task named");
    }
    return new ArrayList<>(out);
  }

  /** The MMLU subject of an {@code mmlu_<subject>} task, or null for any other task. */
  public static String mmluSubject(HarnessTask task) {
    if (!task.name().startsWith("mmlu_")) {
      return null;
    }
    String subject = task.name().substring(5);
    return MMLU_SUBJECTS.containsKey(subject) ? subject : null;
  }

  private static Map<String, HarnessTask> build() {
    Map<String, HarnessTask> m = new LinkedHashMap<>();
    // ARC: training_split train, test_split test, no fewshot_split (so few-shot docs come from train, k drawn)
    for (String[] arc : new String[][] {{"arc_challenge", "ARC-Challenge", "25"}, {"arc_easy", "ARC-Easy", "25"}}) {
      m.put(arc[0], new HarnessTask(arc[0], arc[0], List.of("allenai/ai2_arc", "ai2_arc"), arc[1], "test", "train",
          false, Sampler.DEFAULT, "", Integer.parseInt(arc[2]), List.of("acc", "acc_norm"), false, 1.0,
          DocFormats::arc));
    }
    // HellaSwag: test_split null and fewshot_split null compare equal, so k + 1 documents are drawn from train
    m.put("hellaswag", new HarnessTask("hellaswag", "hellaswag", List.of("Rowan/hellaswag", "hellaswag"), null,
        "validation", "train", true, Sampler.DEFAULT, "", 10, List.of("acc", "acc_norm"), false, 1.0,
        DocFormats::hellaswag));
    for (Map.Entry<String, String> e : MMLU_SUBJECTS.entrySet()) {
      String subject = e.getKey();
      String description = "The following are multiple choice questions (with answers) about "
          + subject.replace('_', ' ') + ".\n\n";
      m.put("mmlu_" + subject, new HarnessTask("mmlu_" + subject, subject.replace('_', ' '), List.of("cais/mmlu"),
          subject, "test", "dev", false, Sampler.FIRST_N, description, 5, List.of("acc"), false, 1.0,
          DocFormats::mmlu));
    }
    // TruthfulQA: only a validation split, which is also the few-shot source; 0-shot by default
    List<String> tqa = List.of("truthfulqa/truthful_qa", "truthful_qa");
    m.put("truthfulqa_mc1", new HarnessTask("truthfulqa_mc1", "truthfulqa_mc1", tqa, "multiple_choice",
        "validation", "validation", true, Sampler.DEFAULT, "", 0, List.of("acc"), false, 2.0,
        DocFormats::truthfulqaMc1));
    m.put("truthfulqa_mc2", new HarnessTask("truthfulqa_mc2", "truthfulqa_mc2", tqa, "multiple_choice",
        "validation", "validation", true, Sampler.DEFAULT, "", 0, List.of("acc"), true, 2.0,
        DocFormats::truthfulqaMc2));
    return java.util.Collections.unmodifiableMap(m);
  }

  private static Map<String, String> mmluSubjects() {
    String[][] pairs = {
      {"abstract_algebra", "stem"}, {"anatomy", "stem"}, {"astronomy", "stem"}, {"business_ethics", "other"},
      {"clinical_knowledge", "other"}, {"college_biology", "stem"}, {"college_chemistry", "stem"},
      {"college_computer_science", "stem"}, {"college_mathematics", "stem"}, {"college_medicine", "other"},
      {"college_physics", "stem"}, {"computer_security", "stem"}, {"conceptual_physics", "stem"},
      {"econometrics", "social_sciences"}, {"electrical_engineering", "stem"}, {"elementary_mathematics", "stem"},
      {"formal_logic", "humanities"}, {"global_facts", "other"}, {"high_school_biology", "stem"},
      {"high_school_chemistry", "stem"}, {"high_school_computer_science", "stem"},
      {"high_school_european_history", "humanities"}, {"high_school_geography", "social_sciences"},
      {"high_school_government_and_politics", "social_sciences"},
      {"high_school_macroeconomics", "social_sciences"}, {"high_school_mathematics", "stem"},
      {"high_school_microeconomics", "social_sciences"}, {"high_school_physics", "stem"},
      {"high_school_psychology", "social_sciences"}, {"high_school_statistics", "stem"},
      {"high_school_us_history", "humanities"}, {"high_school_world_history", "humanities"},
      {"human_aging", "other"}, {"human_sexuality", "social_sciences"}, {"international_law", "humanities"},
      {"jurisprudence", "humanities"}, {"logical_fallacies", "humanities"}, {"machine_learning", "stem"},
      {"management", "other"}, {"marketing", "other"}, {"medical_genetics", "other"}, {"miscellaneous", "other"},
      {"moral_disputes", "humanities"}, {"moral_scenarios", "humanities"}, {"nutrition", "other"},
      {"philosophy", "humanities"}, {"prehistory", "humanities"}, {"professional_accounting", "other"},
      {"professional_law", "humanities"}, {"professional_medicine", "other"},
      {"professional_psychology", "social_sciences"}, {"public_relations", "social_sciences"},
      {"security_studies", "social_sciences"}, {"sociology", "social_sciences"},
      {"us_foreign_policy", "social_sciences"}, {"virology", "other"}, {"world_religions", "humanities"},
    };
    Map<String, String> m = new LinkedHashMap<>();
    for (String[] p : pairs) {
      m.put(p[0], p[1]);
    }
    return java.util.Collections.unmodifiableMap(m);
  }
}
