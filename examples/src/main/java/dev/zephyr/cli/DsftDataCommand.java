package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.dsft.DsftDataConfig;
import dev.zephyr.data.dsft.DsftDataJob;
import dev.zephyr.data.dsft.ProviderFactory;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zephyr dsft-data --config FILE.yaml}: teacher demonstrations (Self-Instruct, self-chat) plus cleaning. */
@Command(
    name = "dsft-data",
    usageHelpWidth = 120,
    mixinStandardHelpOptions = true,
    description = {
      "Generates distilled SFT data with a teacher model: Self-Instruct instructions (answered by the teacher, or",
      "with Self-Instruct input/output instances) and/or UltraChat-style self-chat between a user simulator and the",
      "teacher; then truecases, drops persona answers, removes exact and near duplicates and decontaminates against",
      "MT-Bench / AlpacaEval prompts. Rerunning after a crash continues where it stopped.",
      "A call that fails for good is never written as a result: it is listed in output_dir/failures.jsonl, the",
      "command exits 1 and the next run does it again; the cleaned files are written only by a run that leaves",
      "nothing failed or pending.",
    },
    footer = {
      "",
      "Output (in output_dir): self_instruct/machine_instructions.jsonl, self_instruct/answers.jsonl or",
      "  self_instruct/{is_classification,instances}.jsonl, self_chat.jsonl, train_sft.jsonl [test_sft.jsonl],",
      "  cleaning_report.json, cache/responses.jsonl, failures.jsonl (the latest run's failed calls, when any).",
      "  Demonstrations use the ultrachat_200k layout {prompt, prompt_id, messages}.",
      "",
      "YAML keys (relative paths resolve against the YAML file's directory; unknown keys are errors):",
      "  output_dir: DIR                      (required)",
      "  seed: 42",
      "  teacher: PROVIDER                    (required) {name, base_url, model, api_key_env, max_concurrency,",
      "                                        timeout_seconds, max_retries, temperature, top_p, max_tokens,",
      "                                        presence_penalty, frequency_penalty, repetition_penalty} or {local: DIR}",
      "  user_simulator: PROVIDER             (self-chat user side; default: the teacher)",
      "  self_instruct:",
      "    seed_tasks: seed_tasks.jsonl        (required; Self-Instruct seed file layout)",
      "    prompt_header: FILE                 (text before the numbered examples; default: our own)",
      "    num_instructions: 100, prompt_instructions: 8, machine_instructions: 2, batch_size: 5,",
      "    rouge_threshold: 0.7 (drop when above), max_rounds, blacklist: self_instruct|alpaca,",
      "    classification_only: false (only classification seeds, classification header),",
      "    lowercase_rest: true (Python capitalize), temperature: 0.7, top_p: 0.5, max_tokens: 1024,",
      "    presence_penalty: 0, frequency_penalty: 0, repetition_penalty: 1 (the original used presence_penalty: 2)",
      "    instances: {templates_dir: DIR, max_instances: 5, batch_size: 5,   (omit: the teacher answers)",
      "                presence_penalty: 0 (the original used 1.5)}",
      "  self_chat:",
      "    seeds: FILE                         (required; .jsonl {id?, question|prompt|topic} or one question/line)",
      "    min_turns: 3, max_turns: 7, batch_size: 8, temperature: 0.7, top_p: 0.95, max_tokens: 512,",
      "    presence_penalty: 0, frequency_penalty: 0, repetition_penalty: 1",
      "    user_simulator_prompt: FILE, topic_opener_prompt: FILE (with {topic}), assistant_system_prompt: TEXT",
      "  clean:                               (omitted: only exact duplicates are removed)",
      "    truecase: true, drop_persona_answers: true, persona_patterns: FILE (one regex per line),",
      "    exact_dedup: true, near_dedup: {enabled: true, threshold: 0.8, shingle: 5, bands: 32, rows: 4},",
      "    decontaminate: {mt_bench: question.jsonl, alpaca_eval: FILE.json, ngram: 8, min_words: 5}",
      "  test_fraction: 0.0                   (share of prompts, by prompt_id hash, written to test_sft.jsonl)",
      "  cache: true                          (durable response cache of every call in output_dir/cache)",
      "",
      "A complete example ships as dsft-data.example.yaml in the examples jar.",
    })
public final class DsftDataCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "FILE.yaml", description = "the job's YAML")
  Path config;

  private final ProviderFactory providers;
  private final PrintStream out;
  private final PrintStream err;
  private final Progress progress;

  public DsftDataCommand() {
    this(null, System.out, System.err, ConsoleProgress.stderr());
  }

  /**
   * For tests and embedding: a custom provider factory (null: {@link ProviderFactory#specs}) and the streams for the
   * job's output and its progress, drawn as plain lines on {@code err} (failures go to the command line's error
   * writer, see {@link ZephyrCli#commandLine}).
   */
  public DsftDataCommand(ProviderFactory providers, PrintStream out, PrintStream err) {
    this(providers, out, err, ConsoleProgress.plain(err));
  }

  private DsftDataCommand(ProviderFactory providers, PrintStream out, PrintStream err, Progress progress) {
    this.providers = providers;
    this.out = out;
    this.err = err;
    this.progress = progress;
  }

  @Override
  public Integer call() {
    if (!Files.isRegularFile(config)) {
      throw new ZephyrException("--config: no such file: " + config);
    }
    DsftDataConfig cfg = DsftDataConfig.load(config);
    Path baseDir = config.toAbsolutePath().getParent();
    ProviderFactory factory = providers != null ? providers : ProviderFactory.specs(config.toString(), baseDir);
    DsftDataJob.Summary s = new DsftDataJob(cfg, baseDir, factory, out, progress).run();
    return JobEnd.report(out, err, "zephyr dsft-data", s.counts(), s.failuresFile(), s.stopReason());
  }

}
