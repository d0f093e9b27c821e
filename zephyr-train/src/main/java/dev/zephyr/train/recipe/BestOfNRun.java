package dev.zephyr.train.recipe;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.device.Devices;
import dev.zephyr.core.generate.LocalChatModel;
import dev.zephyr.core.generate.LocalModel;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.data.almost.DemonstrationPrompt;
import dev.zephyr.data.almost.RmspSelfPlay;
import dev.zephyr.data.selfchat.ChatSeed;
import dev.zephyr.data.selfchat.SelfChatConfig;
import dev.zephyr.train.pipeline.BestOfNStage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.reward.ChatRewardModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The ready best-of-N stage (ALMoST step 2, reward-model-guided self-play, {@link RmspSelfPlay}): the pipeline's
 * current model answers every seed question {@code best_of} times per turn, the upstream reward model (a
 * {@link RewardRun} directory, sequence-classification layout with its tokenizer) keeps the best answer, and the
 * dialogues become SFT data in the {@code messages} layout ({@code demonstrations.jsonl}) for a following
 * {@code sft} stage. The dialogues with the reward of each kept turn are in {@code dialogues.jsonl}; a rerun skips
 * seeds already played. Metrics: {@code dialogues} and {@code mean_reward} (of the kept turns). The student and the
 * reward model live on one device: the stage's {@code device} key (a recipe's top-level {@code device} reaches it as
 * it reaches the training stages), {@code zephyr rmsp}'s {@code device} key or {@code --device}, else DJL's default.
 */
public final class BestOfNRun implements BestOfNStage {
  /** Sampling of the user simulator when the student plays the user too. */
  static final SamplingParams USER_SAMPLING = SamplingParams.builder().temperature(0.7).topP(0.95).maxTokens(256)
      .build();

  private final BestOfNConfig settings;
  private final Device device;

  /** Self-play on DJL's default device. */
  public BestOfNRun(BestOfNConfig settings) {
    this(settings, null);
  }

  /** Self-play with the models on {@code device} (DJL's default device when null). */
  public BestOfNRun(BestOfNConfig settings, Device device) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.device = device;
  }

  /** The device the models load onto, or null for DJL's default. */
  public Device device() {
    return device;
  }

  /** The settings this stage plays with. */
  public BestOfNConfig settings() {
    return settings;
  }

  @Override
  public Map<String, Object> config() {
    return settings.keys();
  }

  /** What one self-play run left: the SFT rows, how many dialogues they hold and the mean reward of the kept turns. */
  public record Played(Path demonstrations, int dialogues, double meanReward) {}

  @Override
  public Path demonstrations(Path policy, Path rewardModel, StageContext ctx) throws IOException {
    Played played = play(policy, rewardModel, ctx.dir(), ctx.seed());
    ctx.metric("dialogues", played.dialogues());
    ctx.metric("mean_reward", played.meanReward());
    return played.demonstrations();
  }

  /**
   * Plays every seed not yet in {@code outputDir/dialogues.jsonl} (so a killed run resumes where it stopped) with
   * {@code policy} as the assistant and {@code rewardModel} choosing among its candidates, then writes
   * {@code outputDir/demonstrations.jsonl} in the {@code messages} layout ({@code zephyr rmsp}, and the stage).
   */
  public Played play(Path policy, Path rewardModel, Path outputDir, long seed) throws IOException {
    Device onDevice = Devices.require(device, "rmsp", "device"); // a device this machine lacks fails before loading
    List<ChatSeed> seeds = ChatSeed.load(settings.seeds());
    DemonstrationPrompt demos = settings.demonstrations() == null ? null
        : new DemonstrationPrompt(Files.readString(settings.demonstrations()));
    RmspSelfPlay.Config config = new RmspSelfPlay.Config(settings.bestOf(), settings.turns(), demos,
        settings.shots(), SelfChatConfig.DEFAULT_USER_SIMULATOR_PROMPT, settings.sampling(),
        settings.userModel() == null ? USER_SAMPLING : settings.userModel().samplingParams(USER_SAMPLING),
        seed);
    Files.createDirectories(outputDir);
    Path dialogues = outputDir.resolve("dialogues.jsonl");
    try (NDManager nd = NDManager.newBaseManager(onDevice);
        ChatRewardModel.Opened rm = ChatRewardModel.open(rewardModel, nd, settings.rewardBatchSize(),
            settings.maxLength());
        LocalModel student = LocalModel.open(policy, null, null, new LocalModel.Options(onDevice, false));
        ChatModel user = settings.userModel() == null ? null : settings.userModel().toChatModel()) {
      Tokenizer tok = student.tokenizer();
      LocalChatModel assistant = new LocalChatModel(
          String.valueOf(AdaptedModel.Source.of(policy, null).namingDir().toAbsolutePath().normalize().getFileName()),
          student.model(), ChatTokenizer.of(tok)::formatPrompt, tok::decodeText, student.manager(), false);
      new RmspSelfPlay(user == null ? assistant : user, assistant, rm.scorer(), config).run(seeds, dialogues);
    }
    List<RmspSelfPlay.Dialogue> played = JsonlAppender.readComplete(dialogues, RmspSelfPlay.Dialogue.class);
    Path out = outputDir.resolve("demonstrations.jsonl");
    Jsonl.writeAll(out, played.stream().map(RmspSelfPlay.Dialogue::toSft).toList());
    return new Played(out, played.size(), played.stream().flatMap(d -> d.rewards().stream())
        .mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
  }
}
