package dev.zephyr.data.dsft;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.config.ConfigKeys;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Json;
import dev.zephyr.data.config.Decoding;
import dev.zephyr.data.config.ProviderSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The YAML of {@code zephyr dsft-data}. Relative paths are resolved against the directory of the YAML file. Unknown
 * keys are errors (a typo must not silently fall back to a default); provider entries are passed through untouched
 * to the provider factory, which owns their keys.
 *
 * <pre>
 * output_dir: out/dsft
 * seed: 42
 * teacher: {name: teacher, base_url: "http://127.0.0.1:8000/v1", model: m, api_key_env: KEY}   # or {local: DIR}
 * user_simulator: {...}          # optional, defaults to the teacher
 * self_instruct: {seed_tasks: seed_tasks.jsonl, num_instructions: 100, presence_penalty: 2, ...}
 * self_chat: {seeds: questions.jsonl, min_turns: 3, max_turns: 7, ...}
 * clean: {truecase: true, drop_persona_answers: true, exact_dedup: true, near_dedup: {threshold: 0.8},
 *         decontaminate: {mt_bench: question.jsonl, alpaca_eval: eval.json, ngram: 8}}
 * test_fraction: 0.1             # optional held-out share for test_sft.jsonl
 * cache: true                    # durable response cache in output_dir/cache (default on)
 * </pre>
 */
public record DsftDataConfig(
    @JsonProperty("output_dir") String outputDir,
    @JsonProperty("seed") Long seed,
    @JsonProperty("teacher") JsonNode teacher,
    @JsonProperty("user_simulator") JsonNode userSimulator,
    @JsonProperty("self_instruct") SelfInstruct selfInstruct,
    @JsonProperty("self_chat") SelfChat selfChat,
    @JsonProperty("clean") Clean clean,
    @JsonProperty("test_fraction") Double testFraction,
    @JsonProperty("cache") Boolean cache) {

  /** Self-Instruct instruction generation, and optionally instances. */
  public record SelfInstruct(
      @JsonProperty("seed_tasks") String seedTasks,
      @JsonProperty("prompt_header") String promptHeader,
      @JsonProperty("num_instructions") Integer numInstructions,
      @JsonProperty("prompt_instructions") Integer promptInstructions,
      @JsonProperty("machine_instructions") Integer machineInstructions,
      @JsonProperty("batch_size") Integer batchSize,
      @JsonProperty("rouge_threshold") Double rougeThreshold,
      @JsonProperty("max_rounds") Integer maxRounds,
      @JsonProperty("classification_only") Boolean classificationOnly,
      @JsonProperty("blacklist") String blacklist,
      @JsonProperty("lowercase_rest") Boolean lowercaseRest,
      @JsonProperty("temperature") Double temperature,
      @JsonProperty("top_p") Double topP,
      @JsonProperty("max_tokens") Integer maxTokens,
      @JsonProperty("instances") Instances instances,
      @JsonProperty("presence_penalty") Double presencePenalty,
      @JsonProperty("frequency_penalty") Double frequencyPenalty,
      @JsonProperty("repetition_penalty") Double repetitionPenalty) implements Decoding {}

  /** Self-Instruct steps 2 and 3; templates are the user's files. */
  public record Instances(
      @JsonProperty("templates_dir") String templatesDir,
      @JsonProperty("max_instances") Integer maxInstances,
      @JsonProperty("batch_size") Integer batchSize,
      @JsonProperty("presence_penalty") Double presencePenalty) {}

  /** UltraChat-style self-chat. */
  public record SelfChat(
      @JsonProperty("seeds") String seeds,
      @JsonProperty("min_turns") Integer minTurns,
      @JsonProperty("max_turns") Integer maxTurns,
      @JsonProperty("user_simulator_prompt") String userSimulatorPrompt,
      @JsonProperty("topic_opener_prompt") String topicOpenerPrompt,
      @JsonProperty("assistant_system_prompt") String assistantSystemPrompt,
      @JsonProperty("batch_size") Integer batchSize,
      @JsonProperty("temperature") Double temperature,
      @JsonProperty("top_p") Double topP,
      @JsonProperty("max_tokens") Integer maxTokens,
      @JsonProperty("presence_penalty") Double presencePenalty,
      @JsonProperty("frequency_penalty") Double frequencyPenalty,
      @JsonProperty("repetition_penalty") Double repetitionPenalty) implements Decoding {}

  /** Cleaning stages; each may be switched off. */
  public record Clean(
      @JsonProperty("truecase") Boolean truecase,
      @JsonProperty("drop_persona_answers") Boolean dropPersonaAnswers,
      @JsonProperty("persona_patterns") String personaPatterns,
      @JsonProperty("exact_dedup") Boolean exactDedup,
      @JsonProperty("near_dedup") NearDedup nearDedup,
      @JsonProperty("decontaminate") Decontaminate decontaminate) {}

  /** MinHash settings; {@code enabled: false} switches near-duplicate removal off. */
  public record NearDedup(
      @JsonProperty("enabled") Boolean enabled,
      @JsonProperty("threshold") Double threshold,
      @JsonProperty("shingle") Integer shingle,
      @JsonProperty("bands") Integer bands,
      @JsonProperty("rows") Integer rows) {}

  /** Evaluation sets to decontaminate against. */
  public record Decontaminate(
      @JsonProperty("mt_bench") String mtBench,
      @JsonProperty("alpaca_eval") String alpacaEval,
      @JsonProperty("ngram") Integer ngram,
      @JsonProperty("min_words") Integer minWords) {}

  /** Reads and checks a config file. */
  public static DsftDataConfig load(Path file) {
    DsftDataConfig c;
    try {
      c = Json.strictYaml().readValue(Files.readAllBytes(file), DsftDataConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw ConfigKeys.fromJackson(e, file);
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "not a valid dsft-data YAML: " + e.getMessage(), e);
    }
    if (c == null) {
      throw new InvalidInputException(file.toString(), 0, null, "empty config");
    }
    c.validate(file.toString(), file.toAbsolutePath().getParent());
    return c;
  }

  private void validate(String src, Path baseDir) {
    if (outputDir == null || outputDir.isBlank()) {
      throw InvalidInputException.field(src, "output_dir", "required");
    }
    if (teacher == null || !teacher.isObject()) {
      throw InvalidInputException.field(src, "teacher", "required: a provider entry ({name, base_url, model, ...} "
          + "or {local: MODEL_DIR})");
    }
    if (selfInstruct == null && selfChat == null) {
      throw InvalidInputException.field(src, "self_instruct", "give self_instruct and/or self_chat");
    }
    if (selfInstruct != null && (selfInstruct.seedTasks() == null || selfInstruct.seedTasks().isBlank())) {
      throw InvalidInputException.field(src, "self_instruct.seed_tasks", "required");
    }
    if (selfInstruct != null && selfInstruct.blacklist() != null
        && !List.of("self_instruct", "alpaca").contains(selfInstruct.blacklist())) {
      throw InvalidInputException.field(src, "self_instruct.blacklist",
          "expected self_instruct or alpaca, got '" + selfInstruct.blacklist() + "'");
    }
    if (selfChat != null && (selfChat.seeds() == null || selfChat.seeds().isBlank())) {
      throw InvalidInputException.field(src, "self_chat.seeds", "required");
    }
    if (selfInstruct != null) {
      checkPenalties(src, "self_instruct", selfInstruct.presencePenalty(), selfInstruct.frequencyPenalty(),
          selfInstruct.repetitionPenalty());
      if (selfInstruct.instances() != null) {
        checkPenalties(src, "self_instruct.instances", selfInstruct.instances().presencePenalty(), null, null);
      }
    }
    if (selfChat != null) {
      checkPenalties(src, "self_chat", selfChat.presencePenalty(), selfChat.frequencyPenalty(),
          selfChat.repetitionPenalty());
    }
    if (testFraction != null && (testFraction < 0 || testFraction >= 1)) {
      throw InvalidInputException.field(src, "test_fraction", "must be in [0, 1), got " + testFraction);
    }
    // Provider entries are checked now (unknown keys, missing base_url/model), not when the model is first needed.
    ProviderSpec.fromNode(teacher, src, "teacher", baseDir);
    if (userSimulator != null) {
      ProviderSpec.fromNode(userSimulator, src, "user_simulator", baseDir);
    }
  }

  /** Penalty ranges are checked when the file is read, naming the key. */
  private static void checkPenalties(String src, String block, Double presence, Double frequency,
      Double repetition) {
    checkPenalty(src, block + ".presence_penalty", presence, b -> b.presencePenalty(presence));
    checkPenalty(src, block + ".frequency_penalty", frequency, b -> b.frequencyPenalty(frequency));
    checkPenalty(src, block + ".repetition_penalty", repetition, b -> b.repetitionPenalty(repetition));
  }

  private static void checkPenalty(String src, String field, Double value,
      UnaryOperator<SamplingParams.Builder> set) {
    if (value == null) {
      return;
    }
    try {
      set.apply(SamplingParams.builder()).build();
    } catch (IllegalArgumentException e) {
      throw InvalidInputException.field(src, field, e.getMessage());
    }
  }

  public long seedOrDefault() {
    return seed == null ? 42 : seed;
  }
}
