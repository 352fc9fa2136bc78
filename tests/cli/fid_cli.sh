#!/usr/bin/env bash
# `vdmc train-classifier` and `vdmc fid-stats` end to end on a synthetic 4-class task
# (bands of rows, 8x8, written by test_classifier synth), `vdmc eval --fid --samples` on
# them (the Inception Score over splits at 1, 2 and 3 ranks), and the error lines for
# bad input. The generation path (`vdmc eval RUN --fid --n N`) is fid_generate.sh.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
vdmc="${1:?usage: fid_cli.sh /path/to/vdmc}"
tc=$(vdmc_test_bin "$vdmc" test_classifier)
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d /tmp/vdmc-fid-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect_error NAME PATTERN CMD...: CMD must exit non-zero with PATTERN in one stderr line
expect_error() {
  local name=$1 pattern=$2
  shift 2
  if "$@" >"$tmp/out" 2>"$tmp/err"; then fail "$name: exit 0"; return; fi
  grep -q -- "$pattern" "$tmp/err" || { cat "$tmp/err"; fail "$name: no '$pattern' in stderr"; }
  [ "$(grep -c . "$tmp/err")" -le 3 ] || { cat "$tmp/err"; fail "$name: more than one error line"; }
}

"$tc" synth "$tmp/train.h5" 2000 8 1 && "$tc" synth "$tmp/test.h5" 400 8 2 &&
  "$tc" synth "$tmp/big.h5" 50 12 3 || { echo "FAIL: synthetic datasets"; exit 1; }

# training reaches high test accuracy, reproducibly from the seed
train() { "$vdmc" train-classifier "$tmp/train.h5" --out "$1" --test "$tmp/test.h5" --epochs 2 --seed 3 --width 4 --batch 32 "${@:2}"; }
train "$tmp/feat.h5" >"$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; fail "train-classifier"; }
cat "$tmp/train.log" | tail -3
acc=$(sed -n 's/^test accuracy \([0-9.]*\).*/\1/p' "$tmp/train.log")
awk -v a="${acc:-0}" 'BEGIN { exit !(a >= 0.95) }' || fail "test accuracy ${acc:-none} < 0.95"
train "$tmp/feat2.h5" >"$tmp/train2.log" 2>&1 || fail "train-classifier again"
h5dump -d params "$tmp/feat.h5" | grep -v HDF5 >"$tmp/p1"
h5dump -d params "$tmp/feat2.h5" | grep -v HDF5 >"$tmp/p2"
cmp -s "$tmp/p1" "$tmp/p2" || fail "same seed gave different weights"
vdmc_mpirun 2 -x OPENBLAS_NUM_THREADS "$vdmc" train-classifier "$tmp/train.h5" --out "$tmp/feat_p2.h5" --epochs 1 \
  --seed 3 --width 4 --batch 32 >"$tmp/p2.log" 2>&1 || { cat "$tmp/p2.log"; fail "train-classifier at 2 ranks"; }

# reference statistics at 1 and 2 ranks; FID of a set against its own statistics ~ 0
"$vdmc" fid-stats "$tmp/test.h5" --features "$tmp/feat.h5" --out "$tmp/ref1.h5" || fail "fid-stats P=1"
vdmc_mpirun 2 -x OPENBLAS_NUM_THREADS "$vdmc" fid-stats "$tmp/test.h5" --features "$tmp/feat.h5" --out "$tmp/ref2.h5" ||
  fail "fid-stats P=2"
for p in 1 2; do
  for ref in ref1 ref2; do
    out=$(vdmc_mpirun $p -x OPENBLAS_NUM_THREADS "$vdmc" eval --fid --samples "$tmp/test.h5" --ref "$tmp/$ref.h5" --features "$tmp/feat.h5") ||
      { fail "evaluate P=$p $ref"; continue; }
    fid=$(echo "$out" | sed -n 's/^  fid  *\([^ ]*\)$/\1/p')
    echo "P=$p self vs $ref: $out"
    awk -v f="${fid:-1}" 'BEGIN { exit !(f < 1e-6 && f > -1e-6) }' || fail "FID(test, test) = ${fid:-none} at P=$p ($ref)"
  done
done
out=$(vdmc_mpirun 2 -x OPENBLAS_NUM_THREADS "$vdmc" eval --fid --samples "$tmp/train.h5" --ref "$tmp/ref1.h5" --features "$tmp/feat.h5") || fail "evaluate train"
echo "train vs test: $out"
fid=$(echo "$out" | sed -n 's/^  fid  *\([^ ]*\)$/\1/p')
awk -v f="${fid:-0}" 'BEGIN { exit !(f > 1e-6) }' || fail "FID(train, test) = ${fid:-none} should be > 0"

# Inception Score over 7 splits by global index (2000 = 6 x 285 + 290): the same at 1,
# 2 and 3 ranks (rank boundaries cut splits). Ranks batch the file differently, and an
# image's float32 classifier outputs may differ in the last bit with its place in a
# GEMM block (~1e-9 relative in the score), so the mean must agree to 1e-7 and the
# std (a small difference of such scores, ~2e-4 of the mean) to 1e-4; a split cut by
# a rank boundary but summed once, or an example counted twice, moves both by far more
# (one example of 2000 is 5e-4 of a split). Neither the 1-split score nor 1
is_of() { sed -n 's/^  inception score  *\([^ ]*\) +- \([^ ]*\) *(\([0-9]*\) splits)$/\1 \2 \3/p' "$1"; }
for p in 1 2 3; do
  vdmc_mpirun $p -x OPENBLAS_NUM_THREADS "$vdmc" eval --fid --samples "$tmp/train.h5" --ref "$tmp/ref1.h5" \
    --features "$tmp/feat.h5" --is-splits 7 >"$tmp/is$p.txt" 2>&1 || { cat "$tmp/is$p.txt"; fail "IS at P=$p"; }
done
cat "$tmp/is1.txt"
read -r m1 s1 k1 <<<"$(is_of "$tmp/is1.txt")"
[ "${k1:-}" = 7 ] || fail "IS report does not say 7 splits"
awk -v m="${m1:-0}" -v s="${s1:-0}" 'BEGIN { exit !(m > 1.5 && m <= 4 && s > 0) }' || fail "IS ${m1:-none} +- ${s1:-none} implausible"
for p in 2 3; do
  read -r mp sp kp <<<"$(is_of "$tmp/is$p.txt")"
  awk -v a="${mp:-0}" -v b="${m1:-1}" -v c="${sp:-0}" -v d="${s1:-1}" \
    'BEGIN { x = a - b; y = c - d; exit !(x * x < 1e-14 * b * b && y * y < 1e-8 * d * d) }' ||
    fail "IS at P=$p (${mp:-} +- ${sp:-}) != P=1 ($m1 +- $s1)"
done
"$vdmc" fid-stats "$tmp/test.h5" --features "$tmp/feat.h5" --out "$tmp/ref_s3.h5" --is-splits 3 >"$tmp/s3.log" ||
  fail "fid-stats --is-splits 3"
grep -q "(3 splits)" "$tmp/s3.log" || { cat "$tmp/s3.log"; fail "fid-stats does not report 3 splits"; }

# KID and precision/recall against reference features (fid-stats --keep-features): a set
# against its own features has precision = recall = 1 and, its subsets being the whole
# set (m = N = 400), a KID with zero spread; the training set (the same distribution)
# has a KID within 4 standard deviations of 0. The ranks' feature rows may differ in
# the last bit with their place in a GEMM block, so P = 1 and 2 agree to 1e-6 relative
# in KID and to one point of 400 in precision and recall.
"$vdmc" fid-stats "$tmp/test.h5" --features "$tmp/feat.h5" --out "$tmp/ref_kf.h5" --keep-features 400 >/dev/null ||
  fail "fid-stats --keep-features"
metrics() { sed -n 's/^  kid  *\([^ ]*\) +- \([^ ]*\) .*/\1 \2/p; s/^  precision  *\([^ ]*\)$/\1/p; s/^  recall  *\([^ ]*\) .*/\1/p' "$1" | tr '\n' ' '; }
for p in 1 2; do
  vdmc_mpirun $p -x OPENBLAS_NUM_THREADS "$vdmc" eval --fid --kid --pr --samples "$tmp/test.h5" --ref "$tmp/ref_kf.h5" \
    --features "$tmp/feat.h5" >"$tmp/kid$p.txt" 2>&1 || { cat "$tmp/kid$p.txt"; fail "eval --kid --pr at P=$p"; }
done
read -r k1 s1 p1 r1 <<<"$(metrics "$tmp/kid1.txt")"
read -r k2 s2 p2 r2 <<<"$(metrics "$tmp/kid2.txt")"
echo "self: kid $k1 +- $s1, precision $p1, recall $r1 (P=2: $k2 +- $s2, $p2, $r2)"
[ "$p1" = 1.0000 ] && [ "$r1" = 1.0000 ] || fail "a set against its own features: precision $p1, recall $r1 (want 1)"
awk -v s="$s1" 'BEGIN { exit !(s < 1e-6) }' || fail "self KID spread $s1: subsets of the whole set must agree"
awk -v a="$k1" -v b="$k2" -v p="$p1" -v q="$p2" -v r="$r1" -v t="$r2" \
  'BEGIN { d = a - b; exit !(d * d <= 1e-12 * a * a && (p - q) ^ 2 <= 1 / 400 ^ 2 && (r - t) ^ 2 <= 1 / 400 ^ 2) }' ||
  fail "KID / precision / recall at P=2 ($k2 $p2 $r2) differ from P=1 ($k1 $p1 $r1)"
vdmc_mpirun 1 "$vdmc" eval --fid --kid --pr --samples "$tmp/train.h5" --ref "$tmp/ref_kf.h5" --features "$tmp/feat.h5" \
  >"$tmp/kid_train.txt" 2>&1 || { cat "$tmp/kid_train.txt"; fail "eval --kid on train"; }
read -r kt st pt rt <<<"$(metrics "$tmp/kid_train.txt")"
echo "train vs test: kid $kt +- $st, precision $pt, recall $rt"
awk -v k="$kt" -v s="$st" -v p="$pt" -v r="$rt" 'BEGIN { exit !(s > 0 && k * k < 16 * s * s && p > 0.5 && r > 0.5) }' ||
  fail "train vs test (one distribution): kid $kt +- $st should be within 4 std of 0, precision/recall high"
expect_error "kid without reference features" "holds no reference features" \
  "$vdmc" eval --fid --kid --samples "$tmp/test.h5" --ref "$tmp/ref1.h5" --features "$tmp/feat.h5"
expect_error "kid without fid" "--kid: only with --fid" "$vdmc" eval "$tmp/run" --bpd --kid

# bad input: one clear line naming the file
"$vdmc" train-classifier "$tmp/train.h5" --out "$tmp/feat_w8.h5" --epochs 0.05 --width 8 >/dev/null 2>&1 ||
  fail "train width 8"
expect_error "dimension mismatch" "feature dimension 16 but the feature network" \
  "$vdmc" eval --fid --samples "$tmp/test.h5" --ref "$tmp/ref1.h5" --features "$tmp/feat_w8.h5"
"$vdmc" train-classifier "$tmp/train.h5" --out "$tmp/feat_s9.h5" --epochs 0.05 --width 4 --seed 9 >/dev/null 2>&1 ||
  fail "train seed 9"
expect_error "other feature network" "another feature network" \
  "$vdmc" eval --fid --samples "$tmp/test.h5" --ref "$tmp/ref1.h5" --features "$tmp/feat_s9.h5"
expect_error "missing stats" "$tmp/nope.h5: cannot open" \
  "$vdmc" eval --fid --samples "$tmp/test.h5" --ref "$tmp/nope.h5" --features "$tmp/feat.h5"
expect_error "stats file is a dataset" "is a vdmc 'dataset' file, expected 'fid-stats'" \
  "$vdmc" eval --fid --samples "$tmp/test.h5" --ref "$tmp/test.h5" --features "$tmp/feat.h5"
expect_error "image size mismatch" "big.h5: images are 12x12x1 but the feature network" \
  "$vdmc" fid-stats "$tmp/big.h5" --features "$tmp/feat.h5" --out "$tmp/x.h5"
expect_error "missing dataset" "$tmp/nope.h5" "$vdmc" fid-stats "$tmp/nope.h5" --features "$tmp/feat.h5" --out "$tmp/x.h5"
expect_error "missing features" "$tmp/nofeat.h5: cannot open" \
  "$vdmc" fid-stats "$tmp/test.h5" --features "$tmp/nofeat.h5" --out "$tmp/x.h5"
expect_error "features file of another kind" "test.h5: a vdmc 'dataset' file is not a feature network (accepted kinds: 'classifier', 'inception-v3-fid')" \
  "$vdmc" fid-stats "$tmp/test.h5" --features "$tmp/test.h5" --out "$tmp/x.h5"
expect_error "more splits than examples" "--is-splits 500: more Inception Score splits than the 400 examples" \
  "$vdmc" eval --fid --samples "$tmp/test.h5" --ref "$tmp/ref1.h5" --features "$tmp/feat.h5" --is-splits 500
expect_error "bad --is-splits" "--is-splits: 0 is outside" \
  "$vdmc" fid-stats "$tmp/test.h5" --features "$tmp/feat.h5" --out "$tmp/x.h5" --is-splits 0
expect_error "missing --out" "required" "$vdmc" fid-stats "$tmp/test.h5" --features "$tmp/feat.h5"
# non-finite statistics (a diverged feature run, a damaged file) are refused in one line
tamper=$(vdmc_test_bin "$vdmc" file_tamper)
for case in "mu 0 nan /mu or /sigma" "sigma 5 inf /mu or /sigma" "features 7 -inf /features"; do
  read -r dset index value where <<<"$case"
  cp "$tmp/ref_kf.h5" "$tmp/nf.h5" && "$tamper" "$tmp/nf.h5" value "$dset" "$index" "$value" keep-crc ||
    { fail "file_tamper $dset"; continue; }
  expect_error "non-finite /$dset" "nf.h5: non-finite value in $where" \
    "$vdmc" eval --fid --kid --samples "$tmp/test.h5" --ref "$tmp/nf.h5" --features "$tmp/feat.h5"
done
expect_error "bad epochs" "--epochs 'x'" "$vdmc" train-classifier "$tmp/train.h5" --out "$tmp/y.h5" --epochs x
expect_error "train on missing file" "$tmp/nope.h5" "$vdmc" train-classifier "$tmp/nope.h5" --out "$tmp/y.h5"
[ -e "$tmp/x.h5" ] || [ -e "$tmp/x.h5.tmp" ] && fail "a failed fid-stats left output"
# the shared mpirun-command frame (cli/mpi_command.h): --help on stdout with exit 0; a
# bad command line is exit 2 with the error line first, then the usage; bad input found
# later is exit 2 too, without the usage
for cmd in fid-stats train-classifier; do
  "$vdmc" $cmd --help >"$tmp/out" 2>&1 && head -1 "$tmp/out" | grep -q "^usage: .*vdmc $cmd" || fail "$cmd --help"
  "$vdmc" $cmd "$tmp/test.h5" >/dev/null 2>"$tmp/err"; rc=$?
  [ $rc -eq 2 ] && head -1 "$tmp/err" | grep -q "^vdmc $cmd: .*required" && sed -n 2p "$tmp/err" | grep -q "^usage: " ||
    { cat "$tmp/err"; fail "$cmd bad command line: exit $rc"; }
done
"$vdmc" fid-stats "$tmp/big.h5" --features "$tmp/feat.h5" --out "$tmp/x.h5" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && [ "$(grep -c . "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "fid-stats bad input: exit $rc"; }

if [ "$failures" -ne 0 ]; then
  echo "fid_cli: $failures failure(s)"
  exit 1
fi
echo "fid_cli: all passed"
