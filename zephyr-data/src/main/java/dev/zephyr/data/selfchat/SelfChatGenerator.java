package dev.zephyr.data.selfchat;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.data.instruct.SelfInstructGenerator;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.rows.SftRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * UltraChat-style self-chat: a user-simulator model and an assistant (teacher) model take turns. The simulator sees
 * the conversation from the human's side (its own earlier turns as {@code assistant}, the teacher's as {@code user},
 * under its system prompt) and writes the next human message; the teacher answers the conversation as is.
 *
 * <p>Conversations are advanced in batches, one turn at a time, and each finished conversation is appended to the
 * output as an {@code ultrachat_200k}-style record whose extra {@code seed_id} field lets a rerun skip it. The number
 * of turns and every request's sampling seed derive from the run seed and the seed id, so reruns agree. A conversation
 * one of whose calls fails for good is recorded in the {@link FailureLog} and not written, so the next run plays it
 * again (its finished calls come from the response cache when there is one).
 */
public final class SelfChatGenerator {
  private static final Pattern SPEAKER_PREFIX = Pattern.compile("^(?i)(user|human|me)\\s*:\\s*");

  private final ChatModel userSimulator;
  private final ChatModel assistant;
  private final SelfChatConfig config;
  private Progress progress = Progress.NONE;
  private FailureLog failures = FailureLog.inMemory();

  public SelfChatGenerator(ChatModel userSimulator, ChatModel assistant, SelfChatConfig config) {
    this.userSimulator = userSimulator;
    this.assistant = assistant;
    this.config = config;
  }

  /** Reports finished conversations. */
  public SelfChatGenerator progress(Progress p) {
    this.progress = p;
    return this;
  }

  /** A self-chat conversation as written: the SFT columns plus the seed it came from. */
  public record Conversation(
      @com.fasterxml.jackson.annotation.JsonProperty("prompt") String prompt,
      @com.fasterxml.jackson.annotation.JsonProperty("prompt_id") String promptId,
      @com.fasterxml.jackson.annotation.JsonProperty("messages") List<Message> messages,
      @com.fasterxml.jackson.annotation.JsonProperty("seed_id") String seedId) {

    public SftRecord toSft() {
      return new SftRecord(prompt, promptId, messages);
    }
  }

  /** Where calls that fail for good are recorded (default: counted only). */
  public SelfChatGenerator failures(FailureLog log) {
    this.failures = java.util.Objects.requireNonNull(log, "failures");
    return this;
  }

  /**
   * Counts of one run.
   *
   * @param abandoned conversations ended by an empty turn: done, but not written
   * @param counts seeds done (written by any run, or abandoned), failed (a call failed in this run) and pending (not
   *     reached, or a call never sent, because a provider stopped)
   */
  public record Result(int resumed, int written, int abandoned, WorkCounts counts) {}

  /** What became of each conversation of a batch. */
  private enum Fate { LIVE, ABANDONED, FAILED, UNSENT }

  /** Runs every seed not yet in {@code output}. */
  public Result run(List<ChatSeed> seeds, Path output) {
    Set<String> done = new HashSet<>();
    for (Conversation c : JsonlAppender.readComplete(output, Conversation.class)) {
      done.add(c.seedId());
    }
    // one conversation per seed id, so a seed listed twice is played once
    Set<String> queued = new HashSet<>();
    List<ChatSeed> todo = seeds.stream().filter(s -> !done.contains(s.id()) && queued.add(s.id())).toList();
    int written = 0;
    int abandoned = 0;
    int failed = 0;
    try (JsonlAppender out = JsonlAppender.open(output);
        Progress.Task task = progress.start("self-chat", "conversations", seeds.size(),
            seeds.size() - todo.size())) {
      for (int start = 0; start < todo.size() && !failures.stopped(); start += config.batchSize()) {
        List<ChatSeed> batch = todo.subList(start, Math.min(todo.size(), start + config.batchSize()));
        Fate[] fates = new Fate[batch.size()];
        List<List<Message>> convs = converse(batch, fates);
        List<Conversation> finished = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
          switch (fates[i]) {
            case ABANDONED -> abandoned++;
            case FAILED -> failed++;
            case UNSENT -> { }
            case LIVE -> {
              SftRecord r = SftRecord.of(convs.get(i));
              finished.add(new Conversation(r.prompt(), r.promptId(), r.messages(), batch.get(i).id()));
            }
          }
        }
        out.appendAll(finished);
        task.advance(batch.size());
        written += finished.size();
      }
    }
    long resumed = seeds.stream().map(ChatSeed::id).filter(done::contains).distinct().count();
    WorkCounts counts = WorkCounts.of("self-chat conversations", resumed + todo.size(),
        resumed + written + abandoned, failed);
    return new Result(done.size(), written, abandoned, counts);
  }

  /**
   * Plays out the conversations of one batch; an entry is null when the simulator or teacher returned nothing usable
   * or a call failed.
   */
  public List<List<Message>> converse(List<ChatSeed> batch) {
    return converse(batch, new Fate[batch.size()]);
  }

  private List<List<Message>> converse(List<ChatSeed> batch, Fate[] fates) {
    int n = batch.size();
    int[] turns = new int[n];
    List<List<Message>> convs = new ArrayList<>();
    java.util.Arrays.fill(fates, Fate.LIVE);
    for (int i = 0; i < n; i++) {
      Random rng = new Random(SelfInstructGenerator.mix(config.seed(), batch.get(i).id().hashCode()));
      turns[i] = config.minTurns() + rng.nextInt(config.maxTurns() - config.minTurns() + 1);
      convs.add(new ArrayList<>());
    }
    // Opening user turns: questions verbatim, topics through the simulator.
    List<Integer> topicIdx = new ArrayList<>();
    List<ChatRequest> openers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ChatSeed s = batch.get(i);
      if (s.kind() == ChatSeed.Kind.QUESTION) {
        convs.get(i).add(Message.user(s.text()));
      } else {
        topicIdx.add(i);
        openers.add(ChatRequest.of(List.of(Message.system(config.userSimulatorPrompt()),
                Message.user(config.topicOpenerPrompt().replace("{topic}", s.text()))),
            config.userSampling().toBuilder().seed(requestSeed(s, 0, 'u')).build()));
      }
    }
    exchange(userSimulator, batch, topicIdx, openers, convs, fates, text -> Message.user(cleanUserTurn(text)));
    int maxTurns = java.util.Arrays.stream(turns).max().orElse(0);
    for (int t = 0; t < maxTurns; t++) {
      // Teacher answers every live conversation that ends with a user turn.
      List<Integer> idx = new ArrayList<>();
      List<ChatRequest> reqs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (fates[i] == Fate.LIVE && t < turns[i]) {
          idx.add(i);
          List<Message> ctx = new ArrayList<>();
          if (config.assistantSystemPrompt() != null) {
            ctx.add(Message.system(config.assistantSystemPrompt()));
          }
          ctx.addAll(convs.get(i));
          reqs.add(ChatRequest.of(ctx, config.assistantSampling().toBuilder()
              .seed(requestSeed(batch.get(i), t, 'a')).build()));
        }
      }
      exchange(assistant, batch, idx, reqs, convs, fates, text -> Message.assistant(text.strip()));
      // Simulator writes the next user turn where another round follows.
      idx.clear();
      reqs.clear();
      for (int i = 0; i < n; i++) {
        if (fates[i] == Fate.LIVE && t + 1 < turns[i]) {
          idx.add(i);
          reqs.add(ChatRequest.of(simulatorView(config.userSimulatorPrompt(), convs.get(i)), config.userSampling().toBuilder()
              .seed(requestSeed(batch.get(i), t + 1, 'u')).build()));
        }
      }
      exchange(userSimulator, batch, idx, reqs, convs, fates, text -> Message.user(cleanUserTurn(text)));
    }
    List<List<Message>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(fates[i] != Fate.LIVE ? null : List.copyOf(convs.get(i)));
    }
    return out;
  }

  /**
   * Sends {@code requests} (request {@code k} for conversation {@code idx[k]}) and appends each reply, turned into
   * a message by {@code toMessage}, to its conversation; a reply whose message is empty abandons that conversation,
   * a failed or unsent call ends it as failed or unsent.
   */
  private void exchange(ChatModel model, List<ChatSeed> batch, List<Integer> idx, List<ChatRequest> requests,
      List<List<Message>> convs, Fate[] fates, Function<String, Message> toMessage) {
    if (requests.isEmpty()) {
      return;
    }
    FailureLog.Answers answers = failures.answer(model, requests, k -> batch.get(idx.get(k)).id(),
        "self-chat turn by " + model.name());
    for (int k = 0; k < idx.size(); k++) {
      int i = idx.get(k);
      ChatResponse r = answers.get(k);
      if (r == null) {
        fates[i] = answers.failed(k) ? Fate.FAILED : Fate.UNSENT;
        continue;
      }
      Message m = toMessage.apply(r.text());
      if (m.content().isEmpty()) {
        fates[i] = Fate.ABANDONED;
      } else {
        convs.get(i).add(m);
      }
    }
  }

  /** The conversation as the simulator sees it: roles swapped, under its system prompt. */
  public static List<Message> simulatorView(String simulatorPrompt, List<Message> conv) {
    List<Message> view = new ArrayList<>();
    view.add(Message.system(simulatorPrompt));
    for (Message m : conv) {
      view.add(new Message(m.role() == Role.USER ? Role.ASSISTANT : Role.USER, m.content()));
    }
    return view;
  }

  /** Strips a "User:"-style speaker label and surrounding quotes a simulator sometimes adds. */
  public static String cleanUserTurn(String text) {
    String s = SPEAKER_PREFIX.matcher(text.strip()).replaceFirst("").strip();
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") && s.indexOf('"', 1) == s.length() - 1) {
      s = s.substring(1, s.length() - 1).strip();
    }
    return s;
  }

  private long requestSeed(ChatSeed s, int turn, char who) {
    return SelfInstructGenerator.mix(config.seed(), ((long) s.id().hashCode() << 16) ^ (turn * 2L + (who == 'u' ? 1 : 0)));
  }
}
