#!/usr/bin/env python3
"""Builds testdata/tokenizers/qwen3_headers/ from testdata/tokenizers/qwen3/ (Apache-2.0).

The result stands in for a Llama-3-style chat tokenizer without any Llama-licensed file: Qwen3's byte-level BPE,
plus four special tokens of our own naming and a post-processor that prepends the BOS token (so encoding with special
tokens adds BOS, as Llama's tokenizer does), plus a chat template written for this project:
  <|text_start|>                       BOS, written by the template before the first message
  <|header_start|>ROLE<|header_end|>   a role header, followed by a blank line and the message text with outer
                                       whitespace trimmed
  <|turn_end|>                         end of every turn; the eos_token (distinct from Qwen3's <|endoftext|>)
A role other than system, user or assistant makes the template call raise_exception.
tokenizer_config.json sets no add_bos_token and keeps transformers' "unbounded" model_max_length sentinel (1e30).

Usage (from the repository root): python3 testdata/tools/make_qwen3_headers.py
Deterministic: the same input gives the same bytes.
"""
import copy
import gzip
import json
import pathlib

TESTDATA = pathlib.Path(__file__).resolve().parent.parent
SOURCE = TESTDATA / "tokenizers" / "qwen3"
TARGET = TESTDATA / "tokenizers" / "qwen3_headers"

BOS, HEADER_START, HEADER_END, TURN_END = "<|text_start|>", "<|header_start|>", "<|header_end|>", "<|turn_end|>"
NEW_TOKENS = [BOS, HEADER_START, HEADER_END, TURN_END]

# Jinja source; "\\n" is a newline escape inside the template's string literals.
CHAT_TEMPLATE = (
    "{%- for message in messages %}\n"
    "    {%- if message['role'] not in ['system', 'user', 'assistant'] %}\n"
    "        {{- raise_exception('unsupported role \\'' + message['role'] + '\\': this template renders system, user"
    " and assistant turns only') }}\n"
    "    {%- endif %}\n"
    "    {%- if loop.first %}\n"
    "        {{- bos_token }}\n"
    "    {%- endif %}\n"
    "    {{- '" + HEADER_START + "' + message['role'] + '" + HEADER_END + "\\n\\n' + (message['content'] | trim) + '"
    + TURN_END + "' }}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '" + HEADER_START + "assistant" + HEADER_END + "\\n\\n' }}\n"
    "{%- endif %}\n"
)


def added_token(token_id, content):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def build_tokenizer(source):
    tok = copy.deepcopy(source)
    next_id = max(t["id"] for t in tok["added_tokens"]) + 1
    new = [added_token(next_id + i, content) for i, content in enumerate(NEW_TOKENS)]
    tok["added_tokens"].extend(new)
    bos_id = new[0]["id"]
    bos = {"SpecialToken": {"id": BOS, "type_id": 0}}
    tok["post_processor"] = {"type": "Sequence", "processors": [
        source["post_processor"],
        {"type": "TemplateProcessing",
         "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}},
                  {"SpecialToken": {"id": BOS, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
         "special_tokens": {BOS: {"id": BOS, "ids": [bos_id], "tokens": [BOS]}}},
    ]}
    return tok, new


def build_config(source_config, new_tokens):
    decoder = dict(source_config["added_tokens_decoder"])
    for t in new_tokens:
        decoder[str(t["id"])] = {"content": t["content"], "lstrip": False, "normalized": False, "rstrip": False,
                                 "single_word": False, "special": True}
    return {
        "added_tokens_decoder": decoder,
        "bos_token": BOS,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": True,
        "eos_token": TURN_END,
        "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": 1000000000000000019884624838656,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }


def main():
    source = json.loads(gzip.decompress((SOURCE / "tokenizer.json.gz").read_bytes()).decode("utf-8"))
    source_config = json.loads((SOURCE / "tokenizer_config.json").read_text(encoding="utf-8"))
    tok, new = build_tokenizer(source)
    TARGET.mkdir(parents=True, exist_ok=True)
    text = json.dumps(tok, ensure_ascii=False, indent=2)
    (TARGET / "tokenizer.json.gz").write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    config = json.dumps(build_config(source_config, new), ensure_ascii=False, indent=2) + "\n"
    (TARGET / "tokenizer_config.json").write_text(config, encoding="utf-8")
    print(f"wrote {TARGET}: tokens {[(t['content'], t['id']) for t in new]}")


if __name__ == "__main__":
    main()
