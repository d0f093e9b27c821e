package dev.zephyr.cli;

import picocli.CommandLine.Mixin;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.Detokenizer;
import dev.zephyr.core.generate.GeneratedSequence;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.GenerationResult;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.generate.PromptFormatter;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.core.tokenizer.ChatTemplate;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code zephyr generate --model DIR --prompt-ids 1,5,9}: continues token-id prompts and prints one JSON object per
 * prompt and choice (generated ids, finish reason, counts, optional log-probs). With {@code --prompt TEXT} or
 * {@code --messages FILE.jsonl}, conversations are formatted with the tokenizer's chat template (generation prompt
 * included) and the output also carries the generated {@code text}.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate continuations of prompts (token ids, or chat messages formatted with the chat template)"
        + " with a local model; prints JSON lines.")
public final class GenerateCommand implements Callable<Integer> {
  enum TemplateChoice { tokenizer, zephyr, chatml }

  @Spec CommandSpec spec;
  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory")
  Path model;
  @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT LoRA adapter (adapter_config.json +"
      + " adapter_model.safetensors) applied to --model without merging; its tokenizer files, if any, are used")
  Path adapter;
  @Option(names = "--prompt-ids",
      description = "prompt token ids, comma-separated; several prompts separated by ';' are generated as one batch")
  String promptIds;
  @Option(names = "--prompt", showDefaultValue = Visibility.NEVER,
      description = "a user message, formatted with the chat template (repeatable: a batch)")
  List<String> userPrompts = new ArrayList<>();
  @Option(names = "--messages", paramLabel = "FILE.jsonl",
      description = "conversations, one {\"messages\": [{\"role\": ..., \"content\": ...}]} per line")
  Path messagesFile;
  @Option(names = "--tokenizer", paramLabel = "DIR",
      description = "tokenizer directory (tokenizer.json, tokenizer_config.json); default: the model directory")
  Path tokenizerDir;
  @Option(names = "--template", defaultValue = "tokenizer", paramLabel = "NAME",
      description = "chat template: tokenizer (its chat_template), zephyr or chatml")
  TemplateChoice template;
  @Option(names = "--max-new-tokens", defaultValue = "64", description = "most new tokens per choice")
  int maxNewTokens;
  @Option(names = "--temperature", defaultValue = "0", description = "sampling temperature (0 = greedy)")
  double temperature;
  @Option(names = "--top-k", defaultValue = "0", description = "sample from the k most likely tokens (0 = all)")
  int topK;
  @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling: smallest set with this"
      + " probability mass (1 = all)")
  double topP;
  @Option(names = "--repetition-penalty", defaultValue = "1.0",
      description = "HF/vLLM repetition_penalty over prompt and generated tokens (> 0; 1 = off)")
  double repetitionPenalty;
  @Option(names = "--presence-penalty", defaultValue = "0",
      description = "OpenAI presence_penalty in [-2, 2], once per token generated so far (0 = off)")
  double presencePenalty;
  @Option(names = "--frequency-penalty", defaultValue = "0",
      description = "OpenAI frequency_penalty in [-2, 2], per occurrence of a token generated so far (0 = off)")
  double frequencyPenalty;
  @Option(names = "--seed", description = "sampling seed (same seed, same output)") Long seed;
  @Option(names = "--n", defaultValue = "1", description = "choices per prompt") int n;
  @Option(names = "--stop-token-ids", split = ",", showDefaultValue = Visibility.NEVER,
      description = "extra token ids that end generation (EOS always does)")
  List<Integer> stopTokenIds = new ArrayList<>();
  @Mixin DeviceOption device;
  @Mixin Keep16BitOption keep16Bit;
  @Option(names = "--logprobs", description = "also print each generated token's log-probability") boolean logprobs;

  @Override
  public Integer call() throws Exception {
    device.resolve(); // a device this machine lacks fails before anything loads
    int sources = (promptIds != null ? 1 : 0) + (userPrompts.isEmpty() ? 0 : 1) + (messagesFile != null ? 1 : 0);
    if (sources != 1) {
      throw CliErrors.usageError(spec, "give exactly one of --prompt-ids, --prompt or --messages");
    }
    SamplingParams params = samplingParams();
    AdaptedModel.Source source = AdaptedModel.Source.of(model, adapter);
    List<int[]> prompts = new ArrayList<>();
    Tokenizer tokenizer = null;
    if (promptIds != null) {
      for (String p : promptIds.split(";")) {
        prompts.add(TokenIds.parse(spec, "--prompt-ids", p));
      }
    } else {
      tokenizer = Tokenizer.load(tokenizerDir != null ? tokenizerDir : source.tokenizerDir());
      try {
        PromptFormatter formatter = ChatTokenizer.of(tokenizer, chatTemplate(tokenizer))::formatPrompt;
        for (List<Message> conversation : conversations()) {
          prompts.add(formatter.format(conversation));
        }
      } catch (RuntimeException e) {
        tokenizer.close();
        throw e;
      }
    }
    try (Tokenizer tok = tokenizer; NDManager manager = device.newBaseManager();
        AdaptedModel loaded = AdaptedModel.load(source, manager, keep16Bit.resolve(false))) {
      LlamaModel m = loaded.model();
      TokenIds.checkVocabulary(spec, "--prompt-ids", prompts, m.config().vocabSize());
      List<GenerationRequest> requests = new ArrayList<>();
      prompts.forEach(p -> requests.add(new GenerationRequest(p, params)));
      Detokenizer detokenizer = tok == null ? null : tok::decodeText;
      List<GenerationResult> results = new Generator(m, detokenizer, manager).progress(ConsoleProgress.stderr())
          .generate(requests);
      for (int i = 0; i < results.size(); i++) {
        GenerationResult r = results.get(i);
        for (int c = 0; c < r.choices().size(); c++) {
          System.out.println(Json.mapper().writeValueAsString(line(i, c, r, r.choices().get(c))));
        }
      }
      return 0;
    }
  }

  /** The sampling options; a value out of range is a usage error. */
  private SamplingParams samplingParams() {
    try {
      return SamplingParams.builder().temperature(temperature).topK(topK).topP(topP)
          .repetitionPenalty(repetitionPenalty).presencePenalty(presencePenalty).frequencyPenalty(frequencyPenalty)
          .maxTokens(maxNewTokens).seed(seed).n(n).stopTokenIds(stopTokenIds)
          .logprobs(logprobs).build();
    } catch (IllegalArgumentException | ZephyrException e) {
      throw CliErrors.usageError(spec, e.getMessage());
    }
  }

  private static ObjectNode line(int prompt, int choice, GenerationResult r, GeneratedSequence s) {
    ObjectNode o = Json.mapper().createObjectNode();
    o.put("prompt", prompt);
    o.put("choice", choice);
    ArrayNode ids = o.putArray("token_ids");
    for (int id : s.tokenIds()) {
      ids.add(id);
    }
    if (s.text() != null) {
      o.put("text", s.text());
    }
    o.put("finish_reason", s.finishReason().wireName());
    o.put("prompt_tokens", r.promptTokens());
    o.put("completion_tokens", s.length());
    if (s.logprobs() != null) {
      ArrayNode lp = o.putArray("logprobs");
      for (float f : s.logprobs()) {
        lp.add(f);
      }
    }
    return o;
  }

  private ChatTemplate chatTemplate(Tokenizer tokenizer) {
    return switch (template) {
      case tokenizer -> ChatTemplate.forTokenizer(tokenizer.config());
      case zephyr -> ChatTemplate.zephyr();
      case chatml -> ChatTemplate.chatml();
    };
  }

  private List<List<Message>> conversations() {
    List<List<Message>> out = new ArrayList<>();
    if (messagesFile == null) {
      userPrompts.forEach(p -> out.add(List.of(Message.user(p))));
      return out;
    }
    try (Jsonl.Reader<JsonNode> reader = Jsonl.reader(messagesFile, JsonNode.class, Jsonl.OnError.FAIL)) {
      while (reader.hasNext()) {
        JsonNode msgs = reader.next().get("messages");
        if (msgs == null || !msgs.isArray()) {
          throw new InvalidInputException(messagesFile.toString(), reader.lineNumber(), "messages",
              "expected a list of messages");
        }
        List<Message> conversation = new ArrayList<>();
        for (JsonNode m : msgs) {
          if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
            throw new InvalidInputException(messagesFile.toString(), reader.lineNumber(), "messages",
                "each message needs a string \"role\" and \"content\"");
          }
          conversation.add(new Message(Role.of(m.get("role").asText()), m.get("content").asText()));
        }
        out.add(conversation);
      }
    }
    return out;
  }
}
