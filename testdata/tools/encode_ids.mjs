// Adds "input_ids" to chat-template golden records: reads JSON lines on stdin, writes them to stdout.
// Each record names a tokenizer directory under testdata/tokenizers/; its "rendered" text is encoded without special
// tokens (the template already wrote them) by Hugging Face's JavaScript tokenizer, an implementation independent of
// the Rust one that the Java code reaches through DJL. Records without "rendered" (template errors) pass unchanged.
// Usage: node encode_ids.mjs TESTDATA_DIR < records.jsonl > with_ids.jsonl   (after `npm install` in this folder)
import { readFileSync, existsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const testdata = process.argv[2];
if (!testdata) {
  console.error("usage: node encode_ids.mjs TESTDATA_DIR < records.jsonl");
  process.exit(2);
}

function readJson(file) {
  if (existsSync(file)) {
    return JSON.parse(readFileSync(file, "utf8"));
  }
  if (existsSync(file + ".gz")) {
    return JSON.parse(gunzipSync(readFileSync(file + ".gz")).toString("utf8"));
  }
  throw new Error(`missing ${file} (and ${file}.gz)`);
}

const tokenizers = new Map();
function tokenizer(name) {
  if (!tokenizers.has(name)) {
    const dir = join(testdata, "tokenizers", name);
    tokenizers.set(name, new Tokenizer(readJson(join(dir, "tokenizer.json")), readJson(join(dir, "tokenizer_config.json"))));
  }
  return tokenizers.get(name);
}

const lines = readFileSync(0, "utf8").split("\n").filter((l) => l.trim() !== "");
for (const line of lines) {
  const record = JSON.parse(line);
  if (typeof record.rendered === "string") {
    record.input_ids = tokenizer(record.tokenizer).encode(record.rendered, { add_special_tokens: false }).ids;
  }
  process.stdout.write(JSON.stringify(record) + "\n");
}
