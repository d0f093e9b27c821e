#!/usr/bin/env bash
# Written by zephyr export-recipe. Runs the exported training stages with the alignment-handbook's
# scripts on accelerate + DeepSpeed ZeRO-3. Usage: ./launch.sh [STAGE...]   (all stages by default)
#   HANDBOOK  a clone of huggingface/alignment-handbook with its package installed (default ./alignment-handbook)
set -euo pipefail
cd "$(dirname "$0")"
HANDBOOK="${HANDBOOK:-alignment-handbook}"

run_stage() {
  local id="$1" script="$2" config="$3" output="$4"
  shift 4
  for f in "$@"; do
    if [ ! -f "$f" ]; then
      echo "stage $id: dataset file $f is missing (see EXPORT_NOTES.md)" >&2; exit 1
    fi
  done
  if [ ! -f "$HANDBOOK/scripts/$script" ]; then
    echo "stage $id: $HANDBOOK/scripts/$script not found; set HANDBOOK to an alignment-handbook clone" >&2; exit 1
  fi
  accelerate launch --config_file accelerate/deepspeed_zero3.yaml --num_machines 1 --num_processes 8 \
    "$HANDBOOK/scripts/$script" --config "$config"
  if [ "${MACHINE_RANK:-0}" = 0 ]; then
    (cd "$output" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum > SHA256SUMS)
  fi
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(01-dsft 03-ddpo)
for stage in "${stages[@]}"; do
  case "$stage" in
    01-dsft) run_stage 01-dsft sft.py 01-dsft.yaml out/01-dsft data/01-dsft/train.jsonl ;;
    03-ddpo) run_stage 03-ddpo dpo.py 03-ddpo.yaml out/03-ddpo data/03-ddpo/train.jsonl ;;
    *) echo "unknown stage '$stage' (exported: 01-dsft 03-ddpo)" >&2; exit 2 ;;
  esac
done
