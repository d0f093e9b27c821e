package dev.zephyr.quickstart;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Jsonl;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the quickstart's embedded world into a directory, every file in a Hugging Face layout the rest of the
 * library reads: pretraining text ({@code text}), dSFT demonstrations ({@code messages}, ultrachat_200k layout),
 * AI-feedback prompts ({@code prompt}, {@code prompt_id}), held-out prompts with answers, and the tokenizer.
 *
 * @param seed drives every random choice
 * @param sftPrompts prompts the teacher writes demonstrations for
 * @param aifPrompts prompts for the AI-feedback pool (disjoint from the dSFT prompts, as UltraFeedback is from
 *     UltraChat)
 * @param heldOut evaluation prompts, never seen in training
 * @param pretrainDocuments pretraining documents
 * @param linesPerDocument fact lines per pretraining document
 * @param merges BPE merges of the tokenizer
 */
public record QuickstartWorld(
    long seed, int sftPrompts, int aifPrompts, int heldOut, int pretrainDocuments, int linesPerDocument, int merges) {

  public static final String PRETRAINING = "pretraining.jsonl";
  public static final String DEMONSTRATIONS = "demonstrations.jsonl";
  public static final String AIF_PROMPTS = "aif_prompts.jsonl";
  public static final String HELD_OUT = "held_out.jsonl";
  public static final String TOKENIZER = "tokenizer";

  /** Sizes of the README's quickstart. */
  public static QuickstartWorld defaults(long seed) {
    return new QuickstartWorld(seed, 6000, 2000, 200, 1500, 3, 200);
  }

  /** A small world for tests. */
  public static QuickstartWorld small(long seed) {
    return new QuickstartWorld(seed, 2000, 800, 60, 400, 3, 120);
  }

  /** A line of {@code held_out.jsonl}. */
  public record HeldOutPrompt(String prompt, String prompt_id, String answer) {}

  /** A line of {@code aif_prompts.jsonl}. */
  public record Prompt(String prompt, String prompt_id) {}

  /** A line of {@code demonstrations.jsonl}. */
  public record Demonstration(String prompt, String prompt_id, List<Message> messages) {}

  /** A line of {@code pretraining.jsonl}. */
  public record Text(String text) {}

  /** The files written, by name. */
  public record Files(Path pretraining, Path demonstrations, Path aifPrompts, Path heldOut, Path tokenizer) {}

  /** The world's prompts split into dSFT, AI-feedback and held-out sets. */
  public record Prompts(List<Task> sft, List<Task> aif, List<Task> heldOut) {}

  public Prompts prompts() {
    InstructionWorld.Split s = InstructionWorld.split(seed, sftPrompts + aifPrompts, heldOut);
    return new Prompts(s.train().subList(0, sftPrompts), s.train().subList(sftPrompts, sftPrompts + aifPrompts),
        s.heldOut());
  }

  /** Writes every file into {@code dir}, asking {@code teacher} for the demonstrations. */
  public Files write(Path dir, ChatModel teacher) {
    Prompts p = prompts();
    List<String> docs = PretrainingCorpus.documents(seed, pretrainDocuments, linesPerDocument);
    Path pretraining = dir.resolve(PRETRAINING);
    Jsonl.writeAll(pretraining, docs.stream().map(Text::new).toList());

    List<ChatRequest> requests = p.sft().stream()
        .map(t -> ChatRequest.of(List.of(Message.user(t.prompt())), SamplingParams.greedy(64))).toList();
    List<ChatResponse> replies = teacher.complete(requests);
    List<Demonstration> demos = new ArrayList<>();
    for (int i = 0; i < p.sft().size(); i++) {
      Task t = p.sft().get(i);
      demos.add(new Demonstration(t.prompt(), t.promptId(),
          List.of(Message.user(t.prompt()), Message.assistant(replies.get(i).text()))));
    }
    Path demonstrations = dir.resolve(DEMONSTRATIONS);
    Jsonl.writeAll(demonstrations, demos);

    Path aif = dir.resolve(AIF_PROMPTS);
    Jsonl.writeAll(aif, p.aif().stream().map(t -> new Prompt(t.prompt(), t.promptId())).toList());
    Path held = dir.resolve(HELD_OUT);
    Jsonl.writeAll(held, p.heldOut().stream().map(t -> new HeldOutPrompt(t.prompt(), t.promptId(), t.answer())).toList());

    // The tokenizer learns from everything the student will read, rendered as it will read it.
    List<String> corpus = new ArrayList<>(docs);
    for (Demonstration d : demos) {
      corpus.add(chatText(d.messages().get(0).content(), d.messages().get(1).content()));
    }
    Path tokenizer = dir.resolve(TOKENIZER);
    WorldTokenizer.train(corpus, merges).save(tokenizer, 256);
    return new Files(pretraining, demonstrations, aif, held, tokenizer);
  }

  /** A one-turn conversation rendered with the Zephyr chat template (no system turn). */
  public static String chatText(String user, String assistant) {
    return "<|user|>\n" + user + "</s>\n<|assistant|>\n" + assistant + "</s>\n";
  }

  /** Settings for manifests and results files. */
  public Map<String, Object> config() {
    return Map.of("seed", seed, "sft_prompts", sftPrompts, "aif_prompts", aifPrompts, "held_out", heldOut,
        "pretrain_documents", pretrainDocuments, "lines_per_document", linesPerDocument, "merges", merges);
  }
}
