#!/usr/bin/env bash
# vdmc eval --bpd on a tiny random-weight checkpoint and its 20-example test split
# (both written by test_ckpt_model):
#  1. the result at 1 and 2 ranks agrees (every term, to 1e-9 relative), total =
#     prior + reconstruction + diffusion, --n takes a subset, --unconditional differs;
#  2. bad input: one error line on stderr, a non-zero exit, no crash.
# Usage: bash eval.sh /path/to/build/vdmc
. "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/tiny_run_env.sh" "$@"

# value of a term ("total", "prior", ...) in a report
term() { awk -v t="$2" '$1 == t {print $2}' "$1"; }
same() { awk -v a="$1" -v b="$2" 'BEGIN {d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; exit !(a != "" && d <= 1e-9 * m + 1e-12)}'; }

for p in 1 2; do
  vdmc_mpirun "$p" "$VDMC" eval "$WORK/run" --bpd --t-samples 3 --batch 8 > "$WORK/p$p.txt" 2> "$WORK/p$p.err" ||
    { cat "$WORK/p$p.err"; fail "eval at P=$p"; }
done
cat "$WORK/p2.txt"
for t in total prior reconstruction diffusion; do
  same "$(term "$WORK/p1.txt" $t)" "$(term "$WORK/p2.txt" $t)" || fail "$t differs between P=1 and P=2"
done
sum=$(awk '$1=="prior"||$1=="reconstruction"||$1=="diffusion" {s += $2} END {printf "%.6f", s}' "$WORK/p1.txt")
awk -v a="$sum" -v b="$(term "$WORK/p1.txt" total)" 'BEGIN {d = a - b; exit !(d < 2e-6 && d > -2e-6)}' ||
  fail "total $(term "$WORK/p1.txt" total) != sum of the terms $sum"
grep -q "20 examples, 3 time sample" "$WORK/p1.txt" || fail "report does not name 20 examples, 3 time samples"

"$VDMC" eval "$WORK/run" --bpd --n 5 > "$WORK/n5.txt" 2>/dev/null || fail "eval --n 5"
grep -q "5 examples" "$WORK/n5.txt" || fail "--n 5 does not evaluate 5 examples"
"$VDMC" eval "$WORK/run" --bpd --t-samples 3 --batch 8 --unconditional > "$WORK/u.txt" 2>/dev/null || fail "eval --unconditional"
same "$(term "$WORK/u.txt" diffusion)" "$(term "$WORK/p1.txt" diffusion)" && fail "--unconditional gives the conditional result"

# bad input: expected message | arguments
check_error_cases eval <<EOF
No such file|"$WORK/nope" --bpd
nothing to evaluate|"$WORK/run"
--t-samples: 0 is outside|"$WORK/run" --bpd --t-samples 0
--split: 'val'|"$WORK/run" --bpd --split val
data/fashion-mnist-train.h5|"$WORK/run" --bpd --split train
--n 1000: |"$WORK/run" --bpd --n 1000
is unconditional already|"$WORK/uncond" --bpd --unconditional
unknown option '--fid-stats'|"$WORK/run" --bpd --fid-stats x
missing RUN_DIR|--bpd
EOF

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "eval.sh: all passed"
