package dev.zephyr.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Llama-family {@code config.json} (model_type llama, mistral or qwen2), validated.
 *
 * @param modelType architecture family
 * @param hiddenSize {@code hidden_size}
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}
 * @param numKeyValueHeads {@code num_key_value_heads} (GQA; equals the heads when absent)
 * @param headDim {@code head_dim}, default hidden_size / num_attention_heads
 * @param intermediateSize {@code intermediate_size} of the SwiGLU MLP
 * @param vocabSize {@code vocab_size}
 * @param rmsNormEps {@code rms_norm_eps}
 * @param ropeTheta {@code rope_theta}
 * @param ropeScaling {@code rope_scaling}, or null
 * @param maxPositionEmbeddings {@code max_position_embeddings}
 * @param slidingWindow effective sliding window (Mistral; Qwen2 only with {@code use_sliding_window}), or null
 * @param tieWordEmbeddings {@code tie_word_embeddings}: the LM head reuses the embedding matrix
 * @param attentionBias q/k/v projections carry biases (always for Qwen2, {@code attention_bias} for Llama)
 * @param bosTokenId {@code bos_token_id}, or null
 * @param eosTokenIds {@code eos_token_id} (an int or a list in config.json)
 * @param padTokenId {@code pad_token_id}, or null
 */
public record ModelConfig(
    ModelType modelType,
    int hiddenSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    int intermediateSize,
    int vocabSize,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    int maxPositionEmbeddings,
    Integer slidingWindow,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    Integer padTokenId) {

  public ModelConfig {
    eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
    String src = "config.json";
    positive(src, "hidden_size", hiddenSize);
    positive(src, "num_hidden_layers", numHiddenLayers);
    positive(src, "num_attention_heads", numAttentionHeads);
    positive(src, "num_key_value_heads", numKeyValueHeads);
    positive(src, "head_dim", headDim);
    positive(src, "intermediate_size", intermediateSize);
    positive(src, "vocab_size", vocabSize);
    positive(src, "max_position_embeddings", maxPositionEmbeddings);
    atMost(src, "hidden_size", hiddenSize, 65_536);
    atMost(src, "num_hidden_layers", numHiddenLayers, 1_024);
    atMost(src, "num_attention_heads", numAttentionHeads, 1_024);
    atMost(src, "head_dim", headDim, 4_096);
    atMost(src, "intermediate_size", intermediateSize, 1 << 20);
    atMost(src, "vocab_size", vocabSize, 1 << 22);
    atMost(src, "max_position_embeddings", maxPositionEmbeddings, 1 << 24);
    if (numKeyValueHeads > numAttentionHeads) {
      throw InvalidInputException.field(src, "num_key_value_heads", "must be at most num_attention_heads ("
          + numAttentionHeads + "), got " + numKeyValueHeads);
    }
    if (numAttentionHeads % numKeyValueHeads != 0) {
      throw InvalidInputException.field(src, "num_key_value_heads", "must divide num_attention_heads ("
          + numAttentionHeads + "), got " + numKeyValueHeads);
    }
    if (headDim % 2 != 0) {
      throw InvalidInputException.field(src, "head_dim", "rotary embeddings need an even head_dim, got " + headDim);
    }
    if (!(rmsNormEps > 0)) {
      throw InvalidInputException.field(src, "rms_norm_eps", "must be > 0, got " + rmsNormEps);
    }
    if (!(ropeTheta > 0)) {
      throw InvalidInputException.field(src, "rope_theta", "must be > 0, got " + ropeTheta);
    }
    if (slidingWindow != null && slidingWindow < 1) {
      throw InvalidInputException.field(src, "sliding_window", "must be >= 1, got " + slidingWindow);
    }
  }

  private static void positive(String src, String key, int value) {
    if (value < 1) {
      throw InvalidInputException.field(src, key, "must be a positive integer, got " + value);
    }
  }

  /**
   * Sizes far beyond any released checkpoint (hidden 65536, 1024 layers or heads, intermediate 1M, vocabulary 4M,
   * context 16M tokens) are refused before anything is allocated from them: a hostile config.json must not drive
   * the JVM out of memory.
   */
  private static void atMost(String src, String key, long value, long max) {
    if (value > max) {
      throw InvalidInputException.field(src, key, "must be at most " + max + " (larger than any model this decoder"
          + " can hold), got " + value);
    }
  }

  /** Query heads per key/value head. */
  public int groups() {
    return numAttentionHeads / numKeyValueHeads;
  }

  /** True when {@code id} ends generation (an EOS id). */
  public boolean isEos(int id) {
    return eosTokenIds.contains(id);
  }

  /** Reads {@code dir/config.json} (or the file itself when {@code path} is a file). */
  public static ModelConfig load(Path path) {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    JsonNode root;
    try {
      root = Json.mapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "cannot read config: " + e.getMessage(), e);
    }
    return fromJson(root, file.toString());
  }

  /** Parses a config.json tree; {@code source} names the file in errors. */
  public static ModelConfig fromJson(JsonNode root, String source) {
    if (root == null || !root.isObject()) {
      throw InvalidInputException.field(source, null, "expected a JSON object");
    }
    JsonNode typeNode = root.get("model_type");
    if (typeNode == null || !typeNode.isTextual()) {
      throw InvalidInputException.field(source, "model_type", "missing (expected llama, mistral or qwen2)");
    }
    ModelType type = ModelType.of(typeNode.asText()).orElseThrow(() -> InvalidInputException.field(source,
        "model_type", "unsupported model type '" + typeNode.asText() + "' (expected llama, mistral or qwen2)"));
    JsonNode act = root.get("hidden_act");
    if (act != null && !act.isNull() && !"silu".equals(act.asText())) {
      throw InvalidInputException.field(source, "hidden_act", "unsupported activation '" + act.asText()
          + "' (this decoder implements SwiGLU with silu)");
    }
    int hidden = requiredInt(root, source, "hidden_size");
    int heads = requiredInt(root, source, "num_attention_heads");
    // checked here too: head_dim is derived from them below
    positive(source, "hidden_size", hidden);
    positive(source, "num_attention_heads", heads);
    int kvHeads = optionalInt(root, source, "num_key_value_heads", heads);
    int headDim = optionalInt(root, source, "head_dim", 0);
    if (headDim == 0) {
      if (hidden % heads != 0) {
        throw InvalidInputException.field(source, "head_dim", "missing and hidden_size " + hidden
            + " is not a multiple of num_attention_heads " + heads);
      }
      headDim = hidden / heads;
    }
    Integer window = null;
    JsonNode w = root.get("sliding_window");
    boolean windowApplies = switch (type) {
      case MISTRAL -> true;
      case QWEN2 -> root.path("use_sliding_window").asBoolean(false);
      case LLAMA -> false;
    };
    if (windowApplies && w != null && !w.isNull()) {
      if (!w.canConvertToInt()) {
        throw InvalidInputException.field(source, "sliding_window", "expected an integer, got " + w);
      }
      window = w.asInt();
    }
    boolean bias = type == ModelType.QWEN2 || root.path("attention_bias").asBoolean(false);
    try {
      return of(root, source, type, hidden, heads, kvHeads, headDim, window, bias);
    } catch (InvalidInputException e) {
      throw e.withSource(source); // the record's checks know only "config.json"
    }
  }

  private static ModelConfig of(JsonNode root, String source, ModelType type, int hidden, int heads, int kvHeads,
      int headDim, Integer window, boolean bias) {
    return new ModelConfig(
        type,
        hidden,
        requiredInt(root, source, "num_hidden_layers"),
        heads,
        kvHeads,
        headDim,
        requiredInt(root, source, "intermediate_size"),
        requiredInt(root, source, "vocab_size"),
        requiredDouble(root, source, "rms_norm_eps"),
        optionalDouble(root, source, "rope_theta", 10000.0),
        ropeScaling(root.get("rope_scaling"), source),
        optionalInt(root, source, "max_position_embeddings", 2048),
        window,
        root.path("tie_word_embeddings").asBoolean(false),
        bias,
        nullableInt(root, source, "bos_token_id"),
        eosIds(root.get("eos_token_id"), source),
        nullableInt(root, source, "pad_token_id"));
  }

  private static RopeScaling ropeScaling(JsonNode node, String source) {
    if (node == null || node.isNull()) {
      return null;
    }
    String key = "rope_scaling";
    if (!node.isObject()) {
      throw InvalidInputException.field(source, key, "expected an object, got " + node);
    }
    JsonNode typeNode = node.has("rope_type") ? node.get("rope_type") : node.get("type");
    String type = typeNode == null ? null : typeNode.asText();
    if ("default".equals(type)) {
      return null;
    }
    double factor = requiredDouble(node, source, key + ".factor");
    if ("linear".equals(type)) {
      return RopeScaling.linear(factor);
    }
    if ("llama3".equals(type)) {
      return RopeScaling.llama3(factor,
          requiredDouble(node, source, key + ".low_freq_factor"),
          requiredDouble(node, source, key + ".high_freq_factor"),
          requiredInt(node, source, key + ".original_max_position_embeddings"));
    }
    throw InvalidInputException.field(source, key + ".rope_type",
        "unsupported rope scaling '" + type + "' (expected linear or llama3)");
  }

  private static List<Integer> eosIds(JsonNode node, String source) {
    List<Integer> ids = new ArrayList<>();
    if (node == null || node.isNull()) {
      return ids;
    }
    if (node.isArray()) {
      for (JsonNode n : node) {
        if (!n.canConvertToInt()) {
          throw InvalidInputException.field(source, "eos_token_id", "expected integers, got " + node);
        }
        ids.add(n.asInt());
      }
    } else if (node.canConvertToInt() && node.isIntegralNumber()) {
      ids.add(node.asInt());
    } else {
      throw InvalidInputException.field(source, "eos_token_id", "expected an integer or a list, got " + node);
    }
    return ids;
  }

  private static JsonNode at(JsonNode root, String dotted) {
    String leaf = dotted.substring(dotted.lastIndexOf('.') + 1);
    return root.get(leaf);
  }

  private static int requiredInt(JsonNode root, String source, String key) {
    JsonNode n = at(root, key);
    if (n == null || n.isNull()) {
      throw InvalidInputException.field(source, key, "required key is missing");
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw InvalidInputException.field(source, key, "expected an integer, got " + n);
    }
    return n.asInt();
  }

  private static int optionalInt(JsonNode root, String source, String key, int fallback) {
    JsonNode n = at(root, key);
    return n == null || n.isNull() ? fallback : requiredInt(root, source, key);
  }

  private static Integer nullableInt(JsonNode root, String source, String key) {
    JsonNode n = at(root, key);
    return n == null || n.isNull() ? null : requiredInt(root, source, key);
  }

  private static double requiredDouble(JsonNode root, String source, String key) {
    JsonNode n = at(root, key);
    if (n == null || n.isNull()) {
      throw InvalidInputException.field(source, key, "required key is missing");
    }
    if (!n.isNumber()) {
      throw InvalidInputException.field(source, key, "expected a number, got " + n);
    }
    return n.asDouble();
  }

  private static double optionalDouble(JsonNode root, String source, String key, double fallback) {
    JsonNode n = at(root, key);
    return n == null || n.isNull() ? fallback : requiredDouble(root, source, key);
  }

  /** The config.json tree transformers would write for this config. */
  public ObjectNode toJsonNode() {
    ObjectNode o = Json.mapper().createObjectNode();
    o.putArray("architectures").add(modelType.architecture());
    o.put("model_type", modelType.id());
    o.put("vocab_size", vocabSize);
    o.put("hidden_size", hiddenSize);
    o.put("intermediate_size", intermediateSize);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("num_attention_heads", numAttentionHeads);
    o.put("num_key_value_heads", numKeyValueHeads);
    o.put("head_dim", headDim);
    o.put("hidden_act", "silu");
    o.put("rms_norm_eps", rmsNormEps);
    o.put("rope_theta", ropeTheta);
    if (ropeScaling != null) {
      ObjectNode rs = o.putObject("rope_scaling");
      rs.put("rope_type", ropeScaling.type());
      rs.put("factor", ropeScaling.factor());
      if ("llama3".equals(ropeScaling.type())) {
        rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
        rs.put("high_freq_factor", ropeScaling.highFreqFactor());
        rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
      }
    }
    o.put("max_position_embeddings", maxPositionEmbeddings);
    switch (modelType) {
      case MISTRAL -> {
        if (slidingWindow == null) {
          o.putNull("sliding_window");
        } else {
          o.put("sliding_window", slidingWindow);
        }
      }
      case QWEN2 -> {
        o.put("use_sliding_window", slidingWindow != null);
        if (slidingWindow != null) {
          o.put("sliding_window", slidingWindow);
          o.put("max_window_layers", 0);
        }
      }
      case LLAMA -> o.put("attention_bias", attentionBias);
    }
    o.put("tie_word_embeddings", tieWordEmbeddings);
    putNullable(o, "bos_token_id", bosTokenId);
    if (eosTokenIds.size() == 1) {
      o.put("eos_token_id", eosTokenIds.get(0));
    } else if (eosTokenIds.isEmpty()) {
      o.putNull("eos_token_id");
    } else {
      ArrayNode a = o.putArray("eos_token_id");
      eosTokenIds.forEach(a::add);
    }
    putNullable(o, "pad_token_id", padTokenId);
    o.put("torch_dtype", "float32");
    return o;
  }

  /** Pretty-printed config.json text. */
  public String toJson() {
    try {
      return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJsonNode());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void putNullable(ObjectNode o, String key, Integer value) {
    if (value == null) {
      o.putNull(key);
    } else {
      o.put(key, value);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().modelType(modelType).hiddenSize(hiddenSize).numHiddenLayers(numHiddenLayers)
        .numAttentionHeads(numAttentionHeads).numKeyValueHeads(numKeyValueHeads).headDim(headDim)
        .intermediateSize(intermediateSize).vocabSize(vocabSize).rmsNormEps(rmsNormEps).ropeTheta(ropeTheta)
        .ropeScaling(ropeScaling).maxPositionEmbeddings(maxPositionEmbeddings).slidingWindow(slidingWindow)
        .tieWordEmbeddings(tieWordEmbeddings).attentionBias(attentionBias).bosTokenId(bosTokenId)
        .eosTokenIds(eosTokenIds).padTokenId(padTokenId);
  }

  /** Builder for tiny test and demo models; defaults are a 2-layer llama with vocab 256. */
  public static final class Builder {
    private ModelType modelType = ModelType.LLAMA;
    private int hiddenSize = 64;
    private int numHiddenLayers = 2;
    private int numAttentionHeads = 4;
    private Integer numKeyValueHeads;
    private Integer headDim;
    private int intermediateSize = 160;
    private int vocabSize = 256;
    private double rmsNormEps = 1e-5;
    private double ropeTheta = 10000.0;
    private RopeScaling ropeScaling;
    private int maxPositionEmbeddings = 4096;
    private Integer slidingWindow;
    private boolean tieWordEmbeddings;
    private Boolean attentionBias;
    private Integer bosTokenId = 1;
    private List<Integer> eosTokenIds = List.of(2);
    private Integer padTokenId;

    public Builder modelType(ModelType v) { modelType = v; return this; }
    public Builder hiddenSize(int v) { hiddenSize = v; return this; }
    public Builder numHiddenLayers(int v) { numHiddenLayers = v; return this; }
    public Builder numAttentionHeads(int v) { numAttentionHeads = v; return this; }
    public Builder numKeyValueHeads(Integer v) { numKeyValueHeads = v; return this; }
    public Builder headDim(Integer v) { headDim = v; return this; }
    public Builder intermediateSize(int v) { intermediateSize = v; return this; }
    public Builder vocabSize(int v) { vocabSize = v; return this; }
    public Builder rmsNormEps(double v) { rmsNormEps = v; return this; }
    public Builder ropeTheta(double v) { ropeTheta = v; return this; }
    public Builder ropeScaling(RopeScaling v) { ropeScaling = v; return this; }
    public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }
    public Builder slidingWindow(Integer v) { slidingWindow = v; return this; }
    public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
    public Builder attentionBias(Boolean v) { attentionBias = v; return this; }
    public Builder bosTokenId(Integer v) { bosTokenId = v; return this; }
    public Builder eosTokenIds(List<Integer> v) { eosTokenIds = v; return this; }
    public Builder padTokenId(Integer v) { padTokenId = v; return this; }

    public ModelConfig build() {
      int heads = numAttentionHeads;
      return new ModelConfig(modelType, hiddenSize, numHiddenLayers, heads,
          numKeyValueHeads == null ? heads : numKeyValueHeads,
          headDim == null ? (heads > 0 ? hiddenSize / heads : 0) : headDim,
          intermediateSize, vocabSize, rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, slidingWindow,
          tieWordEmbeddings, attentionBias == null ? modelType == ModelType.QWEN2 : attentionBias,
          bosTokenId, eosTokenIds, padTokenId);
    }
  }
}
