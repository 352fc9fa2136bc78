#!/usr/bin/env bash
# `vdmc eval RUN --fid --n N`: samples drawn in memory from a real tiny run (2 training
# steps on Fashion-MNIST) go straight into a feature classifier trained for a second:
#  1. FID and Inception Score at 1, 2 and 3 ranks agree to 1e-9 (the per-rank batches
#     hold the same samples, so only the reductions differ);
#  2. --keep-samples writes the file `vdmc sample --h5` writes for the same flags (whole
#     h5dump equal), with and without guidance, and its FID read back through
#     --samples equals the in-memory one;
#  3. bad input: one error line, non-zero exit.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
run() { vdmc_mpirun "$1" -x OPENBLAS_NUM_THREADS "${@:2}"; }
# value of a report line: "  fid  X" -> X; "  inception score  M +- S" -> M S
fid_of() { sed -n 's/^  fid  *\([^ ]*\)$/\1/p' "$1"; }
is_of() { sed -n 's/^  inception score  *\([^ ]*\) +- \([^ ]*\) .*/\1 \2/p' "$1"; }
same() { awk -v a="$1" -v b="$2" 'BEGIN {d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(a != "" && b != "" && d <= 1e-9 * m + 1e-12)}'; }
expect_error() {  # NAME PATTERN CMD...: non-zero exit, PATTERN in the one stderr line
  local name=$1 pattern=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  sed -i '/ steps\/s, /d' "$work/err"
  if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then fail "$name: exit $rc"; return; fi
  grep -qF -- "$pattern" "$work/err" || { cat "$work/err"; fail "$name: no '$pattern' in stderr"; return; }
  [ "$(grep -c . "$work/err")" -eq 1 ] || { cat "$work/err"; fail "$name: more than one error line"; return; }
  echo "ok (exit $rc): $(cat "$work/err")"
}

vdmc="$(cd "$(dirname "$vdmc")" && pwd)/$(basename "$vdmc")"  # absolute: the test runs in $work
tiny="$(cd "$(dirname "$tiny")" && pwd)/$(basename "$tiny")"
cd "$work" || exit 1
test_set=data/fashion-mnist-test.h5
"$vdmc" train "$tiny" --run run "${data_args[@]}" --set optim.steps=2 --set run.checkpoint_every=2 >train.log 2>&1 ||
  { cat train.log; fail "training the tiny run"; }
"$vdmc" train-classifier "$test_set" --out feat.h5 --epochs 0.3 --width 4 --batch 32 --lr 0.01 >cls.log 2>&1 ||
  { cat cls.log; fail "train-classifier"; }
"$vdmc" fid-stats "$test_set" --features feat.h5 --out ref.h5 >stats.log 2>&1 || { cat stats.log; fail "fid-stats"; }
cat stats.log

# 1. rank count: batches of 4 keep the same samples together at 1, 2 and 3 ranks
fid_args=(--fid --n 24 --steps 4 --sample-batch 4 --is-splits 3 --ref ref.h5 --features feat.h5)
for p in 1 2 3; do
  run $p "$vdmc" eval run "${fid_args[@]}" >p$p.txt 2>p$p.err || { cat p$p.err; fail "eval --fid --n at P=$p"; }
done
cat p1.txt
grep -q "24 samples of run/checkpoints/step-00000002.h5 step 2" p1.txt || fail "report does not name the samples"
grep -q "(3 splits)" p1.txt || fail "report does not give 3 splits"
grep -q "fid: sample (rank 0): 24/24 steps" p1.err || { cat p1.err; fail "no progress line"; }
for p in 2 3; do
  same "$(fid_of p$p.txt)" "$(fid_of p1.txt)" || fail "FID at P=$p $(fid_of p$p.txt) != P=1 $(fid_of p1.txt)"
  read -r m1 s1 <<<"$(is_of p1.txt)"
  read -r mp sp <<<"$(is_of p$p.txt)"
  same "$mp" "$m1" && same "$sp" "$s1" || fail "IS at P=$p ($mp +- $sp) != P=1 ($m1 +- $s1)"
done
awk -v f="$(fid_of p1.txt)" 'BEGIN { exit !(f > 1e-3) }' || fail "FID of 2-step samples $(fid_of p1.txt) should be > 0"

# 2. --keep-samples = vdmc sample --h5, byte for byte in every dataset and attribute
# (batch n/P: the feature network then sees the same batches as when it reads the file)
keep_case() {  # NAME P SAMPLING-FLAGS...
  local name=$1 p=$2
  shift 2
  run "$p" "$vdmc" eval run --fid --n 10 --sample-batch $((10 / p)) --seed 5 "$@" --ref ref.h5 --features feat.h5 \
    --is-splits 2 --keep-samples keep_$name.h5 >keep_$name.txt 2>keep.err ||
    { cat keep.err; fail "$name: eval --keep-samples"; return; }
  run "$p" "$vdmc" sample run --n 10 --batch $((10 / p)) --seed 5 "$@" --h5 sample_$name.h5 >sample.log 2>&1 ||
    { cat sample.log; fail "$name: vdmc sample"; return; }
  h5dump keep_$name.h5 | tail -n +2 >keep.dump
  h5dump sample_$name.h5 | tail -n +2 >sample.dump
  if cmp -s keep.dump sample.dump && [ -s keep.dump ]; then echo "ok: $name: --keep-samples == vdmc sample --h5"
  else diff keep.dump sample.dump | head -5; fail "$name: --keep-samples differs from vdmc sample --h5"; fi
  run "$p" "$vdmc" eval --fid --samples keep_$name.h5 --ref ref.h5 --features feat.h5 --is-splits 2 >file_$name.txt 2>&1 ||
    { cat file_$name.txt; fail "$name: eval --samples"; return; }
  same "$(fid_of file_$name.txt)" "$(fid_of keep_$name.txt)" ||
    fail "$name: FID from the file $(fid_of file_$name.txt) != in memory $(fid_of keep_$name.txt)"
}
keep_case edm 2 --steps 3
keep_case ddpm_guided 1 --sampler ddpm --steps 3 --guidance 1.5 --class 7

# 3. bad input
"$(vdmc_test_bin "$vdmc" test_ckpt_model)" write uncond uncond >w.log 2>&1 || { cat w.log; fail "writing an unconditional run"; }
"$(vdmc_test_bin "$vdmc" test_ckpt_model)" write small cond >w.log 2>&1 || { cat w.log; fail "writing an 8x8 run"; }
"$vdmc" train-classifier "$test_set" --out feat8.h5 --epochs 0.01 --width 8 >/dev/null 2>&1 || fail "train width 8"
F=(--ref ref.h5 --features feat.h5)
expect_error "--n and --samples" "exclude each other" "$vdmc" eval run --fid --n 4 --samples "$test_set" "${F[@]}"
expect_error "neither --n nor --samples" "give --n N" "$vdmc" eval run --fid "${F[@]}"
expect_error "--n 0" "--n: 0 is outside" "$vdmc" eval run --fid --n 0 "${F[@]}"
expect_error "no run to sample" "missing RUN_DIR or CHECKPOINT to sample from" "$vdmc" eval --fid --n 4 "${F[@]}"
expect_error "guidance, unconditional model" "is unconditional" "$vdmc" eval uncond --fid --n 4 --guidance 1 "${F[@]}"
expect_error "--class out of range" "--class 10: outside [0, 10)" "$vdmc" eval run --fid --n 4 --class 10 "${F[@]}"
expect_error "feature dimension" "feature dimension 16 but the feature network feat8.h5 gives 32" \
  "$vdmc" eval run --fid --n 4 --ref ref.h5 --features feat8.h5
expect_error "image size" "images are 8x8x1 but the feature network feat.h5 takes 28x28x1" \
  "$vdmc" eval small --fid --n 12 --steps 2 "${F[@]}"
expect_error "fewer samples than splits" "--is-splits 10: more Inception Score splits than the 5 examples" \
  "$vdmc" eval run --fid --n 5 --steps 2 "${F[@]}"
expect_error "sampling flag without --fid" "--steps: a sampling option" "$vdmc" eval run --bpd --steps 4
expect_error "sampling flag with --samples" "--keep-samples: a sampling option" \
  "$vdmc" eval --fid --samples "$test_set" --keep-samples x.h5 "${F[@]}"
expect_error "--is-splits without --fid" "--is-splits: only with --fid" "$vdmc" eval run --bpd --is-splits 3
expect_error "features of an unknown kind" "ref.h5: a vdmc 'fid-stats' file is not a feature network (accepted kinds: 'classifier', 'inception-v3-fid')" \
  "$vdmc" eval run --fid --n 4 --ref ref.h5 --features ref.h5
expect_error "bad sampler" "ddim" "$vdmc" eval run --fid --n 4 --sampler ddim "${F[@]}"
[ -e x.h5 ] && fail "a refused --keep-samples left a file"
# at 2 ranks the same failure on every rank is still one line (rank 0's)
run 2 "$vdmc" eval run --fid --n 4 --ref ref.h5 --features feat8.h5 >out 2>err && fail "P=2 dimension mismatch: exit 0"
[ "$(grep -c '^vdmc' err)" -eq 1 ] && grep -q "feature dimension 16" err ||
  { cat err; fail "P=2 dimension mismatch: not exactly one vdmc line"; }

if [ "$failures" -ne 0 ]; then echo "fid_generate: $failures failure(s)"; exit 1; fi
echo "fid_generate: all passed"
