#!/usr/bin/env python3
"""Regenerates testdata/golden/chat_templates.jsonl.

For every tokenizer directory listed in TOKENIZERS, every conversation in CASES (plus EXTRA_CASES for that
tokenizer) and add_generation_prompt false/true, it renders the tokenizer's chat template the way Hugging Face
transformers does (Python Jinja2's ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, the
loopcontrols extension, a raise_exception global, a tojson filter with json.dumps(ensure_ascii=False) semantics,
and the special tokens of tokenizer_config.json as variables), then has encode_ids.mjs add the token ids.
A template that raises gives a record with "error" (its message) instead of "rendered" and "input_ids".

Needs Python 3 with jinja2 (3.1.x) and Node.js with `npm install` run in this folder.
Usage (from the repository root): python3 testdata/tools/chat_golden.py [--check]
--check compares with the stored file instead of writing it, and exits 1 on any difference.
"""
import argparse
import datetime
import gzip
import json
import pathlib
import subprocess
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

TOOLS = pathlib.Path(__file__).resolve().parent
TESTDATA = TOOLS.parent
GOLDEN = TESTDATA / "golden" / "chat_templates.jsonl"

TOKENIZERS = ["deepseek_v3", "qwen3_headers", "qwen3", "zephyr"]

CASES = [
    ("single-user", [{"role": "user", "content": "Hello!"}]),
    ("system-user-assistant", [
        {"role": "system", "content": "You are a friendly chatbot who always responds in the style of a pirate."},
        {"role": "user", "content": "How many helicopters can a human eat in one sitting?"},
        {"role": "assistant", "content": "Ahoy! None, matey."}]),
    ("empty-system", [
        {"role": "system", "content": ""},
        {"role": "user", "content": "Write a haiku about autumn."}]),
    ("two-turns", [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And times 3?"},
        {"role": "assistant", "content": "12"}]),
    ("multiline-unicode", [
        {"role": "user", "content": "\u00dcbersetze bitte:\n\n  \u2014 \u00abHello\u00bb, \u4e16\u754c \U0001f30d\tend"},
        {"role": "assistant", "content": "Line one.\nLine two \u2014 with \u201cquotes\u201d."}]),
    ("whitespace-edges", [
        {"role": "user", "content": "  leading and trailing spaces  "},
        {"role": "assistant", "content": "\nstarts with newline\n"}]),
    ("code-block", [
        {"role": "user", "content": "Fix this:\n```python\ndef f(x):\n    return x+1\n```"},
        {"role": "assistant", "content": "```python\ndef f(x: int) -> int:\n    return x + 1\n```"}]),
    ("ends-with-user-after-system", [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Name three primes."},
        {"role": "assistant", "content": "2, 3, 5."},
        {"role": "user", "content": "Three more?"}]),
]

# Conversations only one template is meant to refuse (its raise_exception path).
EXTRA_CASES = {
    "qwen3_headers": [
        ("unknown-role", [
            {"role": "user", "content": "What is 6 times 7?"},
            {"role": "tool", "content": "42"}]),
    ],
}

SPECIAL_TOKEN_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]


class TemplateRaised(Exception):
    """What the template's raise_exception(message) throws."""


def _raise_exception(message):
    raise TemplateRaised(message)


def _tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers replaces Jinja's HTML-escaping tojson with plain json.dumps and these keyword defaults.
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(fmt):
    return datetime.datetime.now().strftime(fmt)


def compile_template(source):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env.from_string(source)


def read_json(path):
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return json.loads(gzip.decompress(path.with_name(path.name + ".gz").read_bytes()).decode("utf-8"))


def special_tokens(config):
    """The tokens transformers hands every template: those set in the config, AddedToken objects as their text."""
    out = {}
    for key in SPECIAL_TOKEN_KEYS:
        value = config.get(key)
        if isinstance(value, dict):
            value = value.get("content")
        if value is not None:
            out[key] = value
    if config.get("additional_special_tokens"):
        out["additional_special_tokens"] = config["additional_special_tokens"]
    return out


def render_records():
    records = []
    for name in TOKENIZERS:
        config = read_json(TESTDATA / "tokenizers" / name / "tokenizer_config.json")
        template = compile_template(config["chat_template"])
        tokens = special_tokens(config)
        for case, messages in CASES + EXTRA_CASES.get(name, []):
            for add_generation_prompt in (False, True):
                record = {"tokenizer": name, "case": case, "messages": messages,
                          "add_generation_prompt": add_generation_prompt}
                try:
                    record["rendered"] = template.render(messages=messages, tools=None, documents=None,
                                                         add_generation_prompt=add_generation_prompt, **tokens)
                except TemplateRaised as e:
                    record["error"] = str(e)
                records.append(record)
    return records


def add_ids(records):
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    done = subprocess.run(["node", str(TOOLS / "encode_ids.mjs"), str(TESTDATA)], input=lines, text=True,
                          capture_output=True, check=False, encoding="utf-8")
    if done.returncode != 0:
        sys.exit("encode_ids.mjs failed:\n" + done.stderr)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored file instead of writing it")
    args = parser.parse_args()
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in add_ids(render_records()))
    if args.check:
        stored = GOLDEN.read_text(encoding="utf-8")
        if stored != text:
            new, old = text.splitlines(), stored.splitlines()
            bad = [i + 1 for i in range(max(len(new), len(old)))
                   if i >= len(new) or i >= len(old) or new[i] != old[i]]
            sys.exit(f"{GOLDEN} differs from a fresh rendering at lines {bad[:10]} ({len(bad)} in all)")
        print(f"{GOLDEN}: {len(text.splitlines())} records, identical")
        return
    GOLDEN.write_text(text, encoding="utf-8")
    print(f"wrote {len(text.splitlines())} records to {GOLDEN}")


if __name__ == "__main__":
    main()
