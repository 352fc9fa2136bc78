#!/usr/bin/env bash
# Every shipped config (configs/*.yaml) loads and trains 2 steps at a reduced size
# (narrow channels, 1 res block, batch 2) on a dataset of its shape, so a config
# that no longer matches the code fails here rather than on a cluster; vdmc info sizes
# it, and in bf16 with fewer activation bytes per image.
set -u
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
src="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}"
"$vdmc" prepare fashion-mnist --pad32 --out "$work/pad32" >/dev/null || { echo "FAIL: prepare --pad32"; exit 1; }
"$vdmc" prepare imagenet64 --npz "$src/tests/fixtures/imagenet64" --out "$work/i64" >/dev/null || { echo "FAIL: prepare imagenet64"; exit 1; }
pass=0 fail=0
small=(--set model.base_channels=16 --set model.norm_groups=8 --set model.num_res_blocks=1
       --set optim.batch_size=2 --set optim.steps=2 --set run.log_every=1)
for cfg in "$src"/configs/*.yaml; do
  name=$(basename "$cfg" .yaml)
  if ! "$vdmc" config "$cfg" >"$work/$name.resolved" 2>&1; then
    fail=$((fail + 1)); echo "FAIL $name: does not load:"; cat "$work/$name.resolved"; continue
  fi
  if "$vdmc" info "$cfg" --ranks 2 >"$work/$name.info" 2>&1 && grep -q "^parameters" "$work/$name.info"; then
    pass=$((pass + 1)); grep "^parameters" "$work/$name.info" | sed "s/^/$name: /"
  else
    fail=$((fail + 1)); echo "FAIL $name: vdmc info CONFIG:"; cat "$work/$name.info"
  fi
  # train.precision bf16 keeps the activations read only as product operands in 16 bits
  # (docs/precision.md): vdmc info sizes that plan, fewer MB per image than fp32's
  act32=$(awk '/^activations/ { print $2; exit }' "$work/$name.info")
  if "$vdmc" info "$cfg" --ranks 2 --set train.precision=bf16 >"$work/$name.info16" 2>&1 &&
     act16=$(awk '/^activations/ { print $2; exit }' "$work/$name.info16") &&
     awk -v a="$act16" -v b="$act32" 'BEGIN { exit !(a > 0 && a < b) }'; then
    pass=$((pass + 1)); echo "$name: activations per image $act32 MB fp32, $act16 MB bf16"
  else
    fail=$((fail + 1)); echo "FAIL $name: vdmc info with train.precision=bf16 ($act32 MB fp32):"
    cat "$work/$name.info16"
  fi
  res=$(awk '/^  resolution:/ { print $2; exit }' "$work/$name.resolved")
  arch=$(awk '/^  arch:/ { gsub(/"/, "", $2); print $2; exit }' "$work/$name.resolved")
  case "$arch" in
    uvit) shape=(--set model.emb_channels=32 --set model.transformer_width=32 --set model.transformer_depth=1
                 --set model.transformer_heads=2) ;;
    *) shape=(--set model.head_channels=16) ;;
  esac
  case "$res" in
    28) data=(--set "data.train=$work/data/fashion-mnist-train.h5" --set model.in_channels=1 --set model.num_classes=10) ;;
    32) data=(--set "data.train=$work/pad32/fashion-mnist-train.h5" --set model.in_channels=1 --set model.num_classes=10) ;;
    *)  # 64 and larger: the generated ImageNet-64 files, at 64x64
        data=(--set "data.train=$work/i64/imagenet64-train.h5" --set model.resolution=64 --set model.in_channels=3
              --set model.num_classes=1000)
        [ "$arch" = unet ] && data+=(--set "model.attn_resolutions=[16]") ;;
  esac
  if "$vdmc" train "$cfg" --run "$work/run-$name" "${small[@]}" "${shape[@]}" "${data[@]}" >"$work/$name.log" 2>&1 \
     && [ -f "$work/run-$name/checkpoints/step-00000002.h5" ]; then
    pass=$((pass + 1)); echo "$name: 2 steps ok"
  else
    fail=$((fail + 1)); echo "FAIL $name:"; tail -3 "$work/$name.log"
  fi
done
# fmnist.yaml decays its lr (cosine): 2 steps end inside the warmup, which the run says
if grep -q "optim.lr_decay cosine has no decay phase: the run ends after 4 images" "$work/fmnist.log"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL fmnist: no line about the missing decay phase"; fi
echo "configs_smoke: $pass passed, $fail failed"
[ $fail -eq 0 ]
