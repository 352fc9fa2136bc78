# Sourced by tests/cli/sample.sh and eval.sh: a scratch directory WORK (removed on
# exit) holding two tiny random-weight runs written by test_ckpt_model, as the
# training loop writes them: $WORK/run (3 classes) and $WORK/uncond (unconditional),
# each with a 20-example 8x8x1 test split. Sets VDMC (the binary, $1), WORK,
# failures and fail(); sources mpirun.sh; defines check_error_cases and check_one_error.
set -u
VDMC="${1:?usage: bash SCRIPT.sh /path/to/vdmc}"
COMMON="${VDMC_SOURCE_DIR:-$(dirname "${BASH_SOURCE[0]}")/../..}/tests/common"
. "$COMMON/mpirun.sh"
BIN="$(vdmc_test_bin "$VDMC" test_ckpt_model)"
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
export OPENBLAS_NUM_THREADS=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vdmc-tiny-run-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
"$BIN" write "$WORK/run" cond > "$WORK/w.log" 2>&1 || { cat "$WORK/w.log"; fail "writing the conditional run"; }
"$BIN" write "$WORK/uncond" uncond > "$WORK/w.log" 2>&1 || { cat "$WORK/w.log"; fail "writing the unconditional run"; }

# check_error_cases SUBCOMMAND reads lines "expected message|arguments" on stdin
# (arguments in shell syntax) and runs `$VDMC SUBCOMMAND arguments` for each: it must
# exit non-zero without a signal and print exactly one line on stderr containing the
# expected message (besides the progress line, which a failure after the work shows).
check_error_cases() {
  local sub=$1 want args rc lines
  while IFS='|' read -r want args; do
    [ -z "$want" ] && continue
    eval "set -- $args"
    "$VDMC" "$sub" "$@" > "$WORK/out.log" 2> "$WORK/err.log"
    rc=$?
    sed -i '/ steps\/s, \| examples\/s, /d' "$WORK/err.log"
    lines=$(grep -c . "$WORK/err.log")
    if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$WORK/err.log"; then
      fail "$sub $args: exit $rc, stderr: $(cat "$WORK/err.log")"
    else
      echo "ok (exit $rc): $(cat "$WORK/err.log")"
    fi
  done
}

# check_one_error NAME RC NAMED WANT: the command behind $WORK/err.log exited with RC;
# it must have failed without a signal or timeout (RC < 124) and printed exactly
# one line (besides progress and start-up lines) containing both NAMED (the file)
# and WANT.
check_one_error() {
  local name=$1 rc=$2 named=$3 want=$4 lines
  sed -i '/ steps\/s, \| examples\/s, \|^vdmc train: \(config\|resolved\|run dir\)/d' "$WORK/err.log"
  lines=$(grep -c . "$WORK/err.log")
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && [ "$lines" -eq 1 ] && grep -qF -- "$named" "$WORK/err.log" &&
     grep -qF -- "$want" "$WORK/err.log"; then
    echo "ok $name (exit $rc): $(cat "$WORK/err.log")"
  else
    fail "$name: exit $rc, wanted one line naming $named with '$want', got: $(head -c 800 "$WORK/err.log")"
  fi
}
