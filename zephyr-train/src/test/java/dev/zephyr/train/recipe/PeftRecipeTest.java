package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.train.WarnLines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TRL's PEFT keys in recipes: the handbook's QLoRA settings become LoRA, with one warning about quantisation. */
class PeftRecipeTest {
  @TempDir Path dir;

  private static final String BASE = "model_name_or_path: /m\ndataset_path: /d.jsonl\noutput_dir: out\n";

  @Test
  void theHandbooksQloraDpoSettingsBecomeLoraWithOneWarning() throws Exception {
    Path yaml = Files.writeString(dir.resolve("dpo-qlora.yaml"), BASE + """
        load_in_4bit: true
        use_peft: true
        lora_r: 128
        lora_alpha: 128
        lora_dropout: 0.05
        lora_target_modules:
        - q_proj
        - k_proj
        - v_proj
        - o_proj
        - gate_proj
        - up_proj
        - down_proj
        """);
    List<String> warnings = warnings(() -> Recipes.loadDpo(yaml));
    DpoConfig c = Recipes.loadDpo(yaml);
    assertThat(c.lora()).isEqualTo(new LoraConfig(128, 128, 0.05, LoraConfig.PROJECTIONS, false, List.of(), null));
    assertThat(c.lora().scaling()).isEqualTo(1.0);
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0)).contains("load_in_4bit is not applied").contains("LoRA trains over them");
    assertThat(c.taskKeys()).containsEntry("lora_r", 128).containsEntry("use_peft", true);
  }

  @Test
  void trlDefaultsApplyAndWithoutUsePeftEveryWeightTrains() throws Exception {
    SftConfig on = Recipes.loadSft(Files.writeString(dir.resolve("a.yaml"), BASE + "use_peft: true\n"));
    assertThat(on.lora()).isEqualTo(new LoraConfig(16, 32, 0.05, List.of("q_proj", "v_proj"), false, List.of(),
        null));
    Path off = Files.writeString(dir.resolve("b.yaml"), BASE + "lora_r: 8\n");
    List<String> warnings = warnings(() -> Recipes.loadSft(off));
    assertThat(Recipes.loadSft(off).lora()).isNull();
    assertThat(Recipes.loadSft(off).taskKeys()).doesNotContainKey("lora_r");
    assertThat(warnings).singleElement().asString().contains("[lora_r] have no effect without use_peft");
    SftConfig all = Recipes.loadSft(Files.writeString(dir.resolve("c.yaml"), BASE
        + "use_peft: true\nlora_target_modules: all-linear\nlora_modules_to_save: [embed_tokens, lm_head]\n"
        + "use_rslora: true\nlora_r: 4\nlora_alpha: 8\n"));
    assertThat(all.lora().targetModules()).isEqualTo(LoraConfig.PROJECTIONS);
    assertThat(all.lora().modulesToSave()).containsExactly("embed_tokens", "lm_head");
    assertThat(all.lora().scaling()).isEqualTo(4.0);
  }

  @Test
  void badPeftValuesNameTheRecipeKey() throws Exception {
    Path zero = Files.writeString(dir.resolve("zero.yaml"), BASE + "use_peft: true\nlora_r: 0\n");
    assertThatThrownBy(() -> Recipes.loadSft(zero)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("zero.yaml").hasMessageContaining("'lora_r'");
    Path head = Files.writeString(dir.resolve("head.yaml"), BASE + "use_peft: true\nlora_target_modules: [lm_head]\n");
    assertThatThrownBy(() -> Recipes.loadDpo(head)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'lora_target_modules'").hasMessageContaining("modules_to_save");
  }

  private static List<String> warnings(Runnable load) {
    return WarnLines.during(Recipes.class, load);
  }
}
