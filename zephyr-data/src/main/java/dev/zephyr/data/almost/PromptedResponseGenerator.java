package dev.zephyr.data.almost;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.job.FailureLog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ALMoST step 1b: every generator configuration answers every query from its few-shot dialogue prompt; responses are
 * post-processed and bad ones replaced by {@link ResponseRules#BAD}. Default decoding follows ALMoST: temperature
 * 1.0, top_p 0.9, and 768 new tokens for Faithful prompts or 384 otherwise, stopping at the next "Human:" turn or
 * dialogue separator.
 */
public final class PromptedResponseGenerator {

  /** One configuration: its description, the model that plays it, its demonstrations and its decoding. */
  public record Generator(GeneratorConfig config, ChatModel model, DemonstrationPrompt demonstrations,
      SamplingParams sampling) {

    /** ALMoST's decoding for this configuration. */
    public static SamplingParams almostSampling(GeneratorConfig config, long seed) {
      return SamplingParams.builder().temperature(1.0).topP(0.9)
          .maxTokens(config.promptQuality() >= GeneratorConfig.FAITHFUL ? 768 : 384)
          .stop(List.of("\n\nHuman:", DemonstrationPrompt.SEPARATOR)).seed(seed).build();
    }
  }

  private final List<Generator> generators;

  public PromptedResponseGenerator(List<Generator> generators) {
    this.generators = List.copyOf(generators);
  }

  /**
   * For each query (in order), configuration name to finished response or BAD; null for a query one of whose calls
   * failed or was not sent.
   */
  public List<Map<String, String>> respond(List<String> queries) {
    return respond(queries, FailureLog.inMemory());
  }

  /**
   * As {@link #respond(List)}, recording calls that fail for good in {@code failures} under the query's text; once a
   * query has lost a call, the other configurations are not asked about it.
   */
  public List<Map<String, String>> respond(List<String> queries, FailureLog failures) {
    List<Map<String, String>> out = new ArrayList<>();
    for (int q = 0; q < queries.size(); q++) {
      out.add(new LinkedHashMap<>());
    }
    for (Generator g : generators) {
      List<Integer> open = new ArrayList<>();
      List<ChatRequest> requests = new ArrayList<>();
      for (int q = 0; q < queries.size(); q++) {
        if (out.get(q) != null) {
          open.add(q);
          String prompt = g.demonstrations().render(g.config().shots(), queries.get(q));
          requests.add(ChatRequest.of(List.of(Message.user(prompt)), g.sampling()));
        }
      }
      FailureLog.Answers answers = failures.answer(g.model(), requests, k -> queries.get(open.get(k)),
          "response of " + g.config().name());
      for (int k = 0; k < open.size(); k++) {
        ChatResponse r = answers.get(k);
        if (r == null) {
          out.set(open.get(k), null);
        } else {
          out.get(open.get(k)).put(g.config().name(), ResponseRules.finish(r.text()));
        }
      }
    }
    return out;
  }
}
