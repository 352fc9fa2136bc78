#!/usr/bin/env bash
# profiling/report: a 2-rank tiny training run's log.jsonl (with evaluations during
# training) becomes a table, a SUMMARY line, an EVAL line with the last and best
# eval_bpd equal to log.jsonl's, and valid PNGs; a synthetic log with FID lines and a
# FID-less one gives the last and best of each value with their steps and the eval_*
# plots; malformed logs give one clear error line naming path:line and exit 1. profiling/scaling_model on the same run: a table of
# efficiencies in (0, 1] falling with the node count, the allreduce time (ring at P = 2, tree beyond) of one
# bucket at P = 2, 3, 5 (fp32 and bf16 elements; ZeRO-1 with bf16), its PNGs, and a clear error
# for a calibration file without a MODEL line.
set -u
source "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/train_env.sh" "$1"
source "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/mpirun.sh"
report="$(dirname "$1")/profiling/report"
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

OPENBLAS_NUM_THREADS=1 vdmc_mpirun 2 "$vdmc" train "$tiny" --run "$work/run" "${data_args[@]}" \
  --set optim.steps=4 --set run.log_every=2 --set run.eval_every=2 --set eval.bpd_n=16 > "$work/train.log" 2>&1
check "tiny 2-rank training runs" "[ $? -eq 0 ]" || cat "$work/train.log"

mkdir -p "$work/plots"
"$report" "$work/run" --out "$work/plots" > "$work/out" 2> "$work/err"
check "report exits 0" "[ $? -eq 0 ]"
cat "$work/out"
check "table header" "grep -q '^step .*img/s .*loss .*forward .*backward .*sync_wait .*sync% .*imbal%' '$work/out'"
check "one row per interval (steps 2, 4) and the steady state" \
  "[ \$(grep -cE '^(2|4|steady) +[0-9.]+ +[0-9.]+' '$work/out') -eq 3 ]"
check "summary names 2 ranks and 1 steady interval" "grep -q '^SUMMARY img_per_s=[0-9.]* .*ranks=2 intervals=1' '$work/out'"
sync=$(sed -n 's/^SUMMARY.* sync_exposed=\([0-9.]*\).*/\1/p' "$work/out")
check "sync exposed is a fraction (got $sync)" "awk 'BEGIN { exit !($sync >= 0 && $sync <= 1) }'"
is_png() {  # file: an 800x500 PNG
  # PNG signature, then the IHDR chunk: length 13, "IHDR", width 800, height 500 (big-endian)
  local hdr
  hdr=$(od -An -tx1 -N24 "$1" 2>/dev/null | tr -d ' \n')
  [ "$hdr" = "89504e470d0a1a0a0000000d49484452000003200000$(printf '%04x' 500)" ]
}
for p in throughput phases imbalance eval_bpd; do
  check "$p.png is an 800x500 PNG" "is_png '$work/plots/$p.png'"
done
check "no eval_fid.png without a FID" "[ ! -e '$work/plots/eval_fid.png' ]"
# the run's evaluations (steps 2 and 4): the EVAL line holds log.jsonl's eval_bpd, as printed
bpd4=$(sed -n 's/.*"step": 4, "images": 32, "eval_bpd": \([^,]*\),.*/\1/p' "$work/run/log.jsonl")
check "the run evaluated step 4 (eval_bpd '$bpd4')" "[ -n '$bpd4' ]"
check "EVAL line: the last eval_bpd is step 4's, 2 evaluations" \
  "grep -q '^EVAL bpd_last=$bpd4 bpd_last_step=4 bpd_best=[0-9.e+-]* bpd_best_step=[24] evaluations=2\$' '$work/out'"

# a synthetic log: the run's first interval, then evaluations with FIDs and one without
# (as a failed FID leaves it); the best bpd is step 6's, the best FID and IS step 4's
ev() {  # step images bpd [fid is]
  local fid=""
  [ $# -gt 3 ] && fid="\"eval_fid\": $4, \"eval_is\": $5, \"eval_is_std\": 0.125, \"eval_fid_n\": 20, "
  echo "{\"step\": $1, \"images\": $2, \"eval_bpd\": $3, \"eval_bpd_se\": 0.01, \"eval_n\": 16, ${fid}\"eval_s\": 1.5, \"eval_fraction\": 0.25}"
}
mkdir -p "$work/syn"
{ head -n 1 "$work/run/log.jsonl"; ev 2 16 5.5 120.5 2.5; ev 4 32 5.25 90.25 3.5; ev 6 48 5.0; ev 8 64 5.125 95.75 3.25
} > "$work/syn/log.jsonl"
"$report" "$work/syn" > "$work/syn.out" 2> "$work/err"
check "synthetic log: exit 0" "[ $? -eq 0 ]" || cat "$work/err"
sed -n '/^evaluations:/,$p' "$work/syn.out"
check "synthetic log: last and best with their steps" "grep -qx 'EVAL bpd_last=5.125 bpd_last_step=8 bpd_best=5 bpd_best_step=6 fid_last=95.75 fid_last_step=8 fid_best=90.25 fid_best_step=4 is_last=3.25 is_last_step=8 is_best=3.5 is_best_step=4 evaluations=4' '$work/syn.out'"
check "synthetic log: table rows with steps and images" \
  "grep -qE '^eval_fid +95.75 +8 +64 +90.25 +4 +32\$' '$work/syn.out' && grep -qE '^eval_bpd +5.125 +8 +64 +5 +6 +48\$' '$work/syn.out'"
for p in eval_bpd eval_fid eval_is; do
  check "synthetic $p.png is an 800x500 PNG" "is_png '$work/syn/$p.png'"
done
check "the three plots differ" "! cmp -s '$work/syn/eval_bpd.png' '$work/syn/eval_fid.png' && ! cmp -s '$work/syn/eval_fid.png' '$work/syn/eval_is.png'"

# scaling_model on the same 2-rank run: overlap from its log, a given local alpha/beta fit
model="$(dirname "$1")/profiling/scaling_model"
src="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}"
echo "MODEL iallreduce P=2 alpha_s=1e-06 beta_Bps=1e+09 (test)" > "$work/cal.txt"
"$model" --run "$work/run" --calibration "$work/cal.txt" --out "$work/plots" "$tiny" "$src/configs/fmnist.yaml" \
  > "$work/model" 2> "$work/err"
check "scaling_model exits 0" "[ $? -eq 0 ]" || cat "$work/err"
cat "$work/model"
check "the run checked against the model" "grep -q '^check     .*(P = 2, mpi.progress calls, [0-9]* bucket(s) of fp32): last rank.s sync_wait [0-9.]* ms' '$work/model'"
check "local fit read" "grep -q '^local fit: alpha 1 us, beta 1 GB/s' '$work/model'"
# 2 configs x 3 fabrics rows, 8 efficiencies each in (0, 1], not increasing with the node count
rows=$(awk '$6 ~ /^(ib-hdr|100gbe|local)$/ { n++; for (i = 7; i <= 14; i++) { if (!($i > 0 && $i <= 1)) bad = 1;
       if (i > 7 && $i > $(i - 1) + 1e-9) bad = 1 } } END { print (bad ? -n : n) }' "$work/model")
check "6 rows of efficiencies in (0, 1], falling with P (got $rows)" "[ '$rows' = 6 ]"
for f in ib-hdr 100gbe local; do
  check "scaling_$f.png written" "head -c 8 '$work/plots/scaling_$f.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
done
# libnbc's tree: one bucket costs 2 ceil(log2 P) (alpha + bytes / beta), all of it exposed
# (the default config's 2.69 MB in one 4 MiB bucket, launched when backward ends); at
# P = 2 grad_sync runs libnbc's ring instead: two rounds of half the bytes each way at
# once, each a rendezvous (3 alpha + bytes / (2 beta)), 6 alpha + bytes / beta. A
# gradient element is 4 bytes, 2 with mpi.reduce_precision bf16. ZeRO-1 (coll/tuned's
# choices, mpi/sync_model.c): the reduce-scatter below 4 ranks as a chain reduce of the
# gradient, (P-1) (alpha + bytes / beta), and a scatter, (P-1) alpha + (P-1)/P bytes / beta;
# at 5 ranks (blocks < 1 MB) a butterfly, ceil(log2 P) alpha + (P-1)/P bytes / beta; the
# all-gather of fp32 weights in ceil(log2 P) steps, ceil(log2 P) alpha + (P-1)/P bytes / beta,
# twice the bytes' time at P = 2 (two_procs: one exchange of rendezvous halves with one
# peer passes one half after the other); P = 3 and 5 are Bruck (other peers).
N=$("$vdmc" info "$src/configs/fmnist.yaml" | sed -n 's/^parameters *\([0-9]*\).*/\1/p')
predicted() {  # name sed-expression awk-formula-of-P,N: how many of P = 2, 3, 5 match
  sed "s/^  bucket_mb: .*/  bucket_mb: 4/; $2" "$src/configs/fmnist.yaml" > "$work/$1.yaml"
  "$model" --run "$work/run" --calibration "$work/cal.txt" --out "$work/plots" --nodes 2,3,5 --link 1 \
    "$work/$1.yaml" > "$work/$1.link" 2> "$work/err"
  awk -v N="$N" '/^PREDICT/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      P = v["P"]; L = P == 2 ? 1 : P == 3 ? 2 : 3; a = 1e-6; b = 1.25e8; want = ('"$3"') * 1e3
      if (N > 0 && (v["comm_ms"] - want) ^ 2 < (1e-3 * want) ^ 2 && v["exposed_ms"] == v["comm_ms"]) ok++ }
    END { print ok + 0 }' "$work/$1.link"
}
got=$(predicted tree "" "P == 2 ? 6 * a + 4 * N / b : 2 * L * (a + 4 * N / b)")
check "allreduce time: ring at P = 2, tree 2 ceil(log2 P) (alpha + 4N / beta) at P = 3, 5, all exposed (got $got of 3)" "[ '$got' = 3 ]"
got=$(predicted tree_bf16 's/^  zero_stage: .*/&\n  reduce_precision: bf16/' "P == 2 ? 6 * a + 2 * N / b : 2 * L * (a + 2 * N / b)")
check "bf16 allreduce time: ring at P = 2, tree 2 ceil(log2 P) (alpha + 2N / beta) (got $got of 3)" "[ '$got' = 3 ]"
got=$(predicted zero1_bf16 's/^  zero_stage: .*/  zero_stage: 1\n  reduce_precision: bf16/' \
  "(P < 4 ? (P - 1) * (a + 2 * N / b) + (P - 1) * a : L * a) + (P - 1) / P * 2 * N / b + L * a + (P == 2 ? 2 : 1) * (P - 1) / P * 4 * N / b")
check "ZeRO-1 with bf16: bf16 reduce + scatter, fp32 all-gather (got $got of 3)" "[ '$got' = 3 ]"
# --link-burst: a shaped link's token bucket lets part of each 0.1 MiB bucket through at
# once (mpi/sync_model.h), so less is exposed than without; a negative one is refused
exposed() { "$model" --run "$work/run" --calibration "$work/cal.txt" --out "$work/plots" --nodes 2 --link 0.2 "$@" \
  "$src/configs/fmnist.yaml" 2> "$work/err" | sed -n 's/^PREDICT .*exposed_ms=\([^ ]*\).*/\1/p'; }
plain=$(exposed) shaped=$(exposed --link-burst 131072)
check "token bucket: less exposed ($shaped < $plain ms)" "awk -v a='$shaped' -v b='$plain' 'BEGIN { exit !(a > 0 && a < b) }'"
"$model" --run "$work/run" --calibration "$work/cal.txt" --link 0.2 --link-burst -1 "$tiny" > /dev/null 2> "$work/err"
check "negative --link-burst: exit 1, one line" "[ $? -eq 1 ] && [ \$(wc -l < '$work/err') -eq 1 ] && grep -q 'link-burst' '$work/err'"
echo "FIT allreduce only" > "$work/cal.txt"
"$model" --run "$work/run" --calibration "$work/cal.txt" "$tiny" > /dev/null 2> "$work/err"
check "bad calibration: exit 1, one line" "[ $? -eq 1 ] && [ \$(wc -l < '$work/err') -eq 1 ] && grep -q \"no 'MODEL iallreduce\" '$work/err'"

bad() {  # name, line number expected in the message, log content
  mkdir -p "$work/bad"
  printf '%s' "$3" > "$work/bad/log.jsonl"
  "$report" "$work/bad" --out "$work/bad" > /dev/null 2> "$work/err"
  local rc=$?
  check "$1: exit 1 (got $rc)" "[ $rc -eq 1 ]"
  check "$1: one line naming log.jsonl:$2" "[ \$(wc -l < '$work/err') -eq 1 ] && grep -q '^report: .*log.jsonl:$2: ' '$work/err'"
  cat "$work/err"
}
good=$(head -n 1 "$work/run/log.jsonl")
bad "truncated line" 2 "$good"$'\n'"${good:0:40}"$'\n'
bad "a string value" 1 "${good/\"loss\": /\"loss\": \"x\", \"was\": }"$'\n'
bad "a missing key" 2 "$good"$'\n'"${good/\"lr\": /\"lr_renamed\": }"$'\n'
bad "a repeated key" 1 "${good/\"lr\": /\"lr\": 1, \"lr\": }"$'\n'
bad "an empty line" 2 "$good"$'\n\n'
bad "an evaluation without images" 2 "$good"$'\n'"$(ev 2 16 5.5 | sed 's/"images": 16, //')"$'\n'
bad "an evaluation with eval_fid but no eval_is" 3 "$good"$'\n'"$(ev 2 16 5.5)"$'\n'"$(ev 4 32 5.25 90.25 3.5 | sed 's/"eval_is": 3.5, //')"$'\n'
bad "the all-gather phase with a stat missing" 2 "$good"$'\n'"$(sed 's/"allgather": {"min": [^,]*, /"allgather": {/' <<<"$good")"$'\n'
# A log of a vdmc from before the all-gather had its own phase (its time was in
# "optimizer"): read as 0, the step's sum unchanged
sed 's/"allgather": {[^}]*}, //' "$work/run/log.jsonl" > "$work/bad/log.jsonl"
"$report" "$work/bad" --out "$work/bad" > "$work/old.out" 2> "$work/err"
check "a log without the all-gather phase: exit 0, allgather_s=0" \
  "[ $? -eq 0 ] && ! grep -q allgather '$work/bad/log.jsonl' && grep -q '^SUMMARY.* allgather_s=0 ' '$work/old.out'"
rm -f "$work/bad/log.jsonl"
"$report" "$work/bad" > /dev/null 2> "$work/err"
check "missing log: exit 1 and one line" "[ $? -eq 1 ] && [ \$(wc -l < '$work/err') -eq 1 ] && grep -q 'cannot open' '$work/err'"
exit $fail
