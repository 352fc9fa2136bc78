#!/usr/bin/env bash
# bf16 training (train.precision: bf16, docs/precision.md) on the tiny config:
#  1. 50 steps track fp32's loss: every step within 0.5% (about u = 2^-8), the mean
#     within 0.1%;
#  2. bit-identical across resume: a SIGUSR1 stop at step 5, resumed to 12, equals the
#     straight 12-step bf16 run, and so does a run drawing sample grids (EMA weights
#     through the model's rounded-weight copy) every 3 steps;
#  3. P = 2 against P = 1 after 50 steps: within 2e-3 relative, and of the same size as
#     reordering the same sums at P = 1 (micro-batches of 4): bf16 rounding amplifies
#     the float summation-order differences fp32 runs have (3e-7 there); after 2 steps,
#     before any rounding differs, within 10x of fp32's P = 2 vs P = 1 (and 1e-5);
#  4. the precision can change at a resume, both ways: fp32 -> bf16 -> fp32 runs, each
#     leg in its precision (the log says which), and ends near the straight fp32 run.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
train() {  # run_dir ranks steps extra-args... (SAMPLE_EVERY: run.sample_every, 0 if unset)
  local dir=$1 np=$2 steps=$3
  shift 3
  vdmc_mpirun "$np" "$vdmc" train "$tiny" --run "$work/$dir" "${data_args[@]}" --set optim.steps=$steps \
    --set run.checkpoint_every=6 --set run.sample_every="${SAMPLE_EVERY:-0}" "$@" >>"$work/$dir.log" 2>&1
}
losses() { grep -o '"loss": [^,]*' "$1" | cut -d' ' -f2; }
# worst "max rel diff" of params in `vdmc compare`
param_diff() { "$vdmc" compare "$1" "$2" --tol 1 | sed -n 's/^arrays\/params .*max rel diff \([^ ]*\).*/\1/p'; }
bf=(--set train.precision=bf16)

# 1. loss tracking
train f32 1 50 && train b16 1 50 "${bf[@]}" || bad "50-step runs"
if paste <(losses "$work/f32/log.jsonl") <(losses "$work/b16/log.jsonl") | awk '
    { d = ($1 - $2) / $1; d = d < 0 ? -d : d; if (d > m) m = d; s += $1; t += $2; n++ }
    END { r = (s - t) / s; r = r < 0 ? -r : r
          printf "loss bf16 vs fp32 over %d steps: worst step %.2e, mean %.2e\n", n, m, r
          exit !(n == 50 && m <= 5e-3 && r <= 1e-3) }'; then ok; else bad "bf16 loss does not track fp32"; fi
grep -q "precision bf16" "$work/b16.log" && ok || bad "the bf16 run does not say it runs in bf16"
cmp -s "$work/f32/checkpoints/step-00000048.h5" "$work/b16/checkpoints/step-00000048.h5" \
  && bad "bf16 and fp32 checkpoints are identical" || ok

# 2. exact resume
train straight 1 12 "${bf[@]}" || bad "straight bf16 run"
VDMC_TRAIN_TEST_SIGNAL_AT=5 train sig 1 12 "${bf[@]}" && train sig 1 12 "${bf[@]}" || bad "SIGUSR1 + resume"
grep -q "resumed from .*step-00000006.h5 at step 6" "$work/sig.log" && ok || bad "no resume at step 6"
if "$vdmc" compare "$work/sig/checkpoints/step-00000012.h5" "$work/straight/checkpoints/step-00000012.h5" \
  --tol 0 >"$work/sig.cmp" 2>&1; then ok; else bad "bf16 resume is not bit-identical"; cat "$work/sig.cmp"; fi
# sample grids run the EMA weights through the training model: its rounded weights must
# be the params' again in the next step (models/unet.h stepnet_product_params)
SAMPLE_EVERY=3 train grids 1 12 "${bf[@]}" || bad "bf16 with sample grids"
[ -f "$work/grids/samples/step-00000009.png" ] && ok || bad "no sample grid at step 9"
if "$vdmc" compare "$work/grids/checkpoints/step-00000012.h5" "$work/straight/checkpoints/step-00000012.h5" \
  --tol 0 >"$work/grids.cmp" 2>&1; then ok; else bad "bf16 sample grids changed the training bits"; cat "$work/grids.cmp"; fi

# 3. ranks
train p2 2 50 "${bf[@]}" && train mb4 1 50 "${bf[@]}" --set optim.micro_batch=4 || bad "P=2 / micro-batch runs"
ref="$work/b16/checkpoints/step-00000048.h5"
dp=$(param_diff "$work/p2/checkpoints/step-00000048.h5" "$ref")
dm=$(param_diff "$work/mb4/checkpoints/step-00000048.h5" "$ref")
echo "bf16 params after 48 steps: P=2 vs P=1 $dp, micro-batch 4 vs 8 at P=1 $dm"
awk -v p="$dp" -v m="$dm" 'BEGIN { exit !(p != "" && m != "" && p <= 2e-3 && p <= 10 * m && m <= 10 * p) }' \
  && ok || bad "bf16 P=2 vs P=1 ($dp) not within 2e-3 or not the size of a reordering ($dm)"
# before any weight's bf16 rounding differs between the runs (the first steps), bf16
# P=2 vs P=1 is fp32's summation-order difference: within 10x of fp32's P=2 vs P=1
train p1s2 1 2 "${bf[@]}" && train p2s2 2 2 "${bf[@]}" && train f1s2 1 2 && train f2s2 2 2 || bad "2-step runs"
f=checkpoints/step-00000002.h5
db=$(param_diff "$work/p2s2/$f" "$work/p1s2/$f")
df=$(param_diff "$work/f2s2/$f" "$work/f1s2/$f")
echo "P=2 vs P=1 after 2 steps: bf16 $db, fp32 $df"
awk -v b="$db" -v f="$df" 'BEGIN { exit !(b != "" && f != "" && f > 0 && b <= 10 * f && b <= 1e-5) }' \
  && ok || bad "bf16 P=2 vs P=1 after 2 steps ($db) not the size of fp32's ($df)"

# 4. fp32 -> bf16 -> fp32
train mixed 1 6 && train mixed 1 12 "${bf[@]}" && train mixed 1 18 || bad "fp32 -> bf16 -> fp32 resumes"
[ "$(grep -c "precision bf16" "$work/mixed.log")" = 1 ] && [ "$(grep -c "precision fp32" "$work/mixed.log")" = 2 ] \
  && ok || bad "each leg does not say its precision"
# an fp32 run names bf16 where the CPU has its kernel, and only there
hint=$(grep -c "precision fp32 (this CPU has AVX512-BF16" "$work/mixed.log")
if "$vdmc" blas 2>&1 | grep -Eq "^bf16: *(AVX512-BF16|.*AVX512-BF16 present)"; then want=2; else want=0; fi
[ "$hint" = "$want" ] && ok || bad "the fp32 legs name bf16 $hint times, expected $want"
train f32_18 1 18 || bad "straight fp32 18"
dmix=$(param_diff "$work/mixed/checkpoints/step-00000018.h5" "$work/f32_18/checkpoints/step-00000018.h5")
echo "fp32 -> bf16 -> fp32 against fp32 after 18 steps: params $dmix"
awk -v d="$dmix" 'BEGIN { exit !(d != "" && d > 0 && d <= 2e-3) }' && ok || bad "mixed-precision resume off by $dmix"

finish train_bf16
