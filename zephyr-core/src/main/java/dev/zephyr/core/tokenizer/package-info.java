/**
 * Tokenizers, chat templates and training masks that match Hugging Face exactly.
 *
 * <ul>
 *   <li>{@link dev.zephyr.core.tokenizer.Tokenizer}: a {@code tokenizer.json} fast tokenizer over DJL with truncation
 *       and padding off and special tokens explicit; batch encoding in one native call; token/id lookups.</li>
 *   <li>{@link dev.zephyr.core.tokenizer.TokenizerConfig}: {@code tokenizer_config.json} (AddedToken objects, the 1e30
 *       length sentinel, named templates, {@code chat_template.jinja}).</li>
 *   <li>{@link dev.zephyr.core.tokenizer.ChatTemplate}: Jinja chat templates rendered as transformers renders them,
 *       with Python-only constructs either rewritten exactly or refused by name; built-in Zephyr and ChatML.</li>
 *   <li>{@link dev.zephyr.core.tokenizer.TemplateLimits}: templates from model directories are untrusted, so every
 *       render is bounded (by default 5 s, 1 MiB of output beyond the conversation's own text, nesting depth 100,
 *       size arguments and collections up to 100,000) and, as in transformers, has no loader: {@code include},
 *       {@code import}, {@code from} and {@code extends} fail and no file or classpath resource is read.</li>
 *   <li>{@link dev.zephyr.core.tokenizer.ChatTokenizer}: {@code apply_chat_template(tokenize=True)} with assistant and
 *       completion masks, joint prompt/completion splitting with a prefix check, double-BOS and missing-EOS checks,
 *       and the prompt formatter for generation.</li>
 * </ul>
 *
 * <pre>{@code
 * try (Tokenizer tok = Tokenizer.load(Path.of("models/zephyr-7b-beta"))) {
 *   ChatTokenizer chat = ChatTokenizer.of(tok);                       // the tokenizer's own chat_template
 *   TokenizedChat t = chat.applyChatTemplate(messages, false);        // ids + assistant mask
 *   int[] labels = t.labels(LossMode.ASSISTANT_ONLY);                 // -100 outside assistant turns
 *   PromptCompletion pc = chat.splitPromptCompletion(prompt, chosen); // DPO: joint tokenization, sliced
 * }
 * }</pre>
 */
package dev.zephyr.core.tokenizer;
