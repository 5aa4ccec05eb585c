#!/usr/bin/env bash
# Trains the pretrained zoo weights shipped in @stridenet/weights, measures them on the Fashion-MNIST
# test set and packs them into packages/weights/weights/. These are the exact commands behind the
# package's README table; rerun them to reproduce it.
#
#   tools/weights/train-pretrained.sh [lenet5|ccpccp ...]    (default: both)
#
# Needs the full Fashion-MNIST (Debian package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)
# and a build (pnpm build; the native addon: pnpm --filter @stridenet/native build:addon).
# Training runs on the native backend with its default single thread, niced (the machines it ran on
# were shared): LeNet-5 about 6 min, CCPCCP about 13 min on one AVX2 core.
# The run directories go to $RUNS (default runs/pretrained); a run of the same name is replaced.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-runs/pretrained}
CLI=(nice -n 10 node apps/cli/dist/bin.js)
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(lenet5 ccpccp)

# The training recipe per zoo model: everything not named here is the CLI default (Adam, lr 2e-3,
# cosine decay, batch 32, no augmentation). --validation-split 0: all 60,000 training images.
# Prints "<epochs> <seed>".
recipe() {
  case "$1" in
    lenet5) echo "15 0" ;;
    ccpccp) echo "3 0" ;;
    *) echo "train-pretrained: unknown model '$1' (expected lenet5 or ccpccp)" >&2; exit 2 ;;
  esac
}

PACK=(node --import tsx packages/weights/scripts/pack.ts)

mkdir -p "$RUNS"
for model in "${models[@]}"; do
  r=$(recipe "$model")
  read -r epochs seed <<< "$r"
  run="$RUNS/$model-fashion-mnist"
  train=(train --model "$model" --dataset fashion-mnist --backend native --validation-split 0 --epochs "$epochs" --seed "$seed")
  rm -rf "$run"
  echo "train-pretrained: stridenet ${train[*]}"
  "${CLI[@]}" "${train[@]}" --out "$RUNS" --name "$model-fashion-mnist" --json > "$run.train.jsonl"
  # The weights in float32 and rounded to float16, each measured on the 10,000 test images; the
  # package ships F16 unless it scores measurably lower (see pack.ts).
  "${PACK[@]}" candidates "$model" "$run"
  for dtype in F32 F16; do
    "${CLI[@]}" eval "$run/pretrained-$dtype.safetensors" --dataset fashion-mnist --backend native --json > "$run/eval-$dtype.json"
  done
  "${PACK[@]}" select "$model" "$run" "$epochs" "$seed" "stridenet ${train[*]}"
done
