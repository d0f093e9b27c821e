package dev.zephyr.data.almost;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.data.instruct.RougeL;
import dev.zephyr.data.instruct.SelfInstructGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * ALMoST step 1a: new user queries from a few-shot list of seed queries ({@code seed_prompts.txt}: the instruction
 * line, then one query per line). Each prompt is the instruction, a blank line, ten {@code "Query: q"} lines sampled
 * from seeds and queries mined so far, and an open {@code "Query:"}. Decoding: temperature 1.2, top_p 0.9, 64 tokens.
 *
 * <p>Extraction keeps ALMoST's quirk: the first generated line that itself starts with {@code "Query:"} is taken (so
 * the continuation of the open line is skipped), with every further {@code "Query:"} deleted and the rest cut at any
 * other-cased {@code query:}. A query is rejected when it is
 * shorter than 30 characters and does not end in punctuation, when it is longer than 250 characters and ends in
 * punctuation (the released code's double negation; {@code rejectAllLong} rejects every long query instead), or when
 * its ROUGE-L F1 with a seed or mined query is at least 0.5. ALMoST tokenises for ROUGE with BERT word pieces; the
 * tokenizer here is a parameter and defaults to the ROUGE word tokenizer.
 */
public final class QueryGenerator {
  private static final Pattern FURTHER_QUERY = Pattern.compile("query\\s?:", Pattern.CASE_INSENSITIVE);
  private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

  private final ChatModel model;
  private final String instruction;
  private final List<String> seeds;
  private final Function<String, List<String>> tokenizer;
  private final boolean rejectAllLong;
  private final long seed;

  public QueryGenerator(ChatModel model, String instruction, List<String> seeds,
      Function<String, List<String>> tokenizer, boolean rejectAllLong, long seed) {
    this.model = model;
    this.instruction = instruction;
    this.seeds = List.copyOf(seeds);
    this.tokenizer = tokenizer;
    this.rejectAllLong = rejectAllLong;
    this.seed = seed;
  }

  /** Reads {@code seed_prompts.txt}: the first line is the instruction, every other non-blank line a seed query. */
  public static QueryGenerator fromSeedFile(ChatModel model, Path file, long seed) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    if (lines.size() < 11) {
      throw new dev.zephyr.core.InvalidInputException(file.toString(), 0, null,
          "expected an instruction line and at least 10 seed queries");
    }
    List<String> seeds = lines.subList(1, lines.size()).stream().map(String::strip).filter(s -> !s.isEmpty())
        .toList();
    return new QueryGenerator(model, lines.get(0).strip(), seeds, RougeL::tokenize, false, seed);
  }

  /** The prompt for one request, given the examples. */
  public String prompt(List<String> examples) {
    StringBuilder sb = new StringBuilder(instruction).append("\n\n");
    for (String q : examples) {
      sb.append("Query: ").append(q).append('\n');
    }
    return sb.append("Query:").toString();
  }

  /**
   * The query ALMoST would extract from a continuation, if any: the first line that starts with {@code "Query:"}
   * after trimming, with every {@code "Query:"} removed, cut at the first remaining {@code query:} in any case or
   * spacing, and trimmed.
   */
  public static Optional<String> extract(String continuation) {
    for (String line : continuation.split("\n", -1)) {
      if (line.strip().startsWith("Query:")) {
        String q = line.replace("Query:", "").strip();
        q = FURTHER_QUERY.split(q, 2)[0].strip();
        return q.isEmpty() ? Optional.empty() : Optional.of(q);
      }
    }
    return Optional.empty();
  }

  /** True when the length rules reject the query. */
  public boolean badLength(String q) {
    int len = ResponseRules.charCount(q);
    boolean endsPunct = PUNCTUATION.indexOf(q.charAt(q.length() - 1)) >= 0;
    if (len < 30 && !endsPunct) {
      return true;
    }
    return len > 250 && (rejectAllLong || endsPunct);
  }

  /** Generates with {@code rounds} batches of {@code batchSize} requests; returns the new queries in order. */
  public List<String> generate(int rounds, int batchSize) {
    List<String> mined = new ArrayList<>();
    List<List<String>> poolTokens = new ArrayList<>();
    for (String s : seeds) {
      poolTokens.add(tokenizer.apply(s));
    }
    SamplingParams base = SamplingParams.builder().temperature(1.2).topP(0.9).maxTokens(64).build();
    for (int r = 0; r < rounds; r++) {
      Random rng = new Random(SelfInstructGenerator.mix(seed, r));
      List<String> pool = new ArrayList<>(seeds);
      pool.addAll(mined);
      List<ChatRequest> reqs = new ArrayList<>();
      for (int k = 0; k < batchSize; k++) {
        List<String> examples = SelfInstructGenerator.sample(rng, pool, Math.min(10, pool.size()));
        reqs.add(ChatRequest.of(List.of(Message.user(prompt(examples))),
            base.toBuilder().seed(SelfInstructGenerator.mix(seed, r * 1000L + k)).build()));
      }
      for (ChatResponse resp : model.complete(reqs)) {
        Optional<String> q = extract(resp.text());
        if (q.isEmpty() || badLength(q.get())) {
          continue;
        }
        List<String> toks = tokenizer.apply(q.get());
        boolean similar = poolTokens.stream().anyMatch(t -> RougeL.fmeasure(t, toks) >= 0.5);
        if (!similar) {
          mined.add(q.get());
          poolTokens.add(toks);
        }
      }
    }
    return mined;
  }
}
