#!/usr/bin/env bash
# Option parsing of every verb (cli/flag_parse.c flag_value, shared): a trailing
# unknown option is reported as unknown, a known option without its value as
# missing its value: the first line on stderr (some verbs print their usage after
# it), a non-zero exit, never a signal.
# Usage: bash flag_errors.sh /path/to/build/vdmc
set -u
vdmc=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/configs/fmnist.yaml"
pass=0 fail=0
# expect "EXPECTED" ARGS...
expect() {
  local want=$1
  shift
  "$vdmc" "$@" >/dev/null 2>"$tmp/err" </dev/null
  local rc=$?
  if [ $rc -ne 0 ] && [ $rc -lt 128 ] && head -n 1 "$tmp/err" | grep -qF -- "$want"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL vdmc $*: exit $rc, wanted '$want' first, got: $(cat "$tmp/err")"
  fi
}
U="unknown option '--bogus'"
# verb                    trailing unknown option          known option missing its value
expect "$U" sample run --n 2 --bogus;                     expect "--out: missing value" sample run --n 2 --out
expect "$U" eval run --bpd --bogus;                       expect "--n: missing value" eval run --bpd --n
expect "$U" train "$cfg" --bogus;                         expect "--run: missing value" train "$cfg" --run
expect "$U" train-classifier d.h5 --bogus;                expect "--lr: missing value" train-classifier d.h5 --lr
expect "$U" fid-stats d.h5 --bogus;                       expect "--out: missing value" fid-stats d.h5 --out
expect "$U" compare a.h5 b.h5 --bogus;                    expect "--tol: missing value" compare a.h5 b.h5 --tol
expect "$U" schedule --csv --bogus;                       expect "--lambda-max: missing value" schedule --csv --lambda-max
expect "$U" info "$cfg" --bogus;                          expect "--ranks: missing value" info "$cfg" --ranks
expect "$U" config "$cfg" --bogus;                        expect "--set needs KEY=VALUE" config "$cfg" --set
expect "$U" blas --bogus;                                 expect "--seconds needs a value" blas --seconds
expect "$U" prepare folder src --size 8 --out o --bogus;  expect "--out: missing value" prepare folder src --size 8 --out
expect "$U" ema run --std 0.1 --bogus;                    expect "--std: missing value" ema run --out o.h5 --std
expect "$U" upgrade run --bogus;                          expect "unexpected argument 'b'" upgrade a b
# an unknown option before a value-taking one is still named, and values are checked
expect "$U" sample run --bogus --n 2;                     expect "--n: 'x' is not an integer" sample run --n x
expect "--ranks: 0 is outside" info "$cfg" --ranks 0
expect "--std: 'x' is not a finite number" ema run --std x --out o.h5
expect "--std: 0.3 is outside" ema run --std 0.3 --out o.h5
expect "--std 0: expected a relative std in" ema run --std 0 --out o.h5
echo "flag_errors: $pass passed, $fail failed"
[ $fail -eq 0 ]
