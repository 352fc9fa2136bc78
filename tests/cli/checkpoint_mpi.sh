#!/usr/bin/env bash
# Multi-rank checkpoint tests (io/checkpoint.h) around tests/unit/test_checkpoint:
#  1. the unit suite at 1, 2 and 4 ranks (round trip, keep-K, latest, error cases,
#     fallback, describe, signals)
#  2. write at 2 ranks, read at 1, 2, 4: every byte identical (whole and sharded)
#  3. crashes: kill -9 one rank paused by VDMC_CKPT_TEST_PAUSE after its data write
#     (before close) and rank 0 paused before the rename; `latest` must still name the
#     previous checkpoint, which loads and verifies; the next save cleans up.
# Usage: bash checkpoint_mpi.sh /path/to/build/vdmc
set -u
VDMC="${1:?usage: checkpoint_mpi.sh /path/to/vdmc}"
BIN="$(dirname "$VDMC")/tests/test_checkpoint"
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vdmc-ckpt-mpi-XXXXXX")"
BG=""
cleanup() {
  [ -n "$BG" ] && kill -9 "$BG" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() { timeout 120 "$@" > "$WORK/out.log" 2>&1 || { cat "$WORK/out.log"; fail "$*"; }; }

for p in 1 2 4; do
  run "${MPIRUN[@]}" -n "$p" "$BIN"
  echo "suite at $p ranks: $(grep -h 'rank 0/' "$WORK/out.log")"
done

RUN="$WORK/run"
run "${MPIRUN[@]}" -n 2 "$BIN" write "$RUN" 100
for p in 1 2 4; do
  run "${MPIRUN[@]}" -n "$p" "$BIN" read "$RUN" 100
  grep -h '^read' "$WORK/out.log"
done

# Independent check of the slice-combined CRC32s: zlib.crc32 over each whole dataset.
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  /usr/bin/python3 - "$RUN/checkpoints/step-00000100.h5" <<'PY' || fail "h5py crc32 cross-check"
import sys, zlib, h5py
f = h5py.File(sys.argv[1], "r")
bad = 0
for group in ("arrays", "extras"):
    for name, d in f[group].items():
        if zlib.crc32(d[()].tobytes()) != int(d.attrs["crc32"]):
            print("crc32 mismatch in", group, name); bad += 1
if zlib.crc32(f["config"][()].tobytes()) != int(f["config"].attrs["crc32"]):
    print("crc32 mismatch in config"); bad += 1
print("h5py cross-check of crc32: %d datasets, %d mismatches" % (len(f["arrays"]) + len(f["extras"]) + 1, bad))
sys.exit(1 if bad else 0)
PY
else
  echo "h5py cross-check skipped: /usr/bin/python3 has no h5py"
fi

# crash PHASE RANK STEP: start a 2-rank save of STEP that pauses RANK at PHASE, kill -9
# that rank, and check that the job failed and `latest` still names step 100.
crash() {
  local phase=$1 rank=$2 step=$3 log="$WORK/crash-$1.log" pid="" i
  VDMC_CKPT_TEST_PAUSE=$phase VDMC_CKPT_TEST_PAUSE_RANK=$rank \
    timeout 120 "${MPIRUN[@]}" -x VDMC_CKPT_TEST_PAUSE -x VDMC_CKPT_TEST_PAUSE_RANK -n 2 \
    "$BIN" write "$RUN" "$step" > "$log" 2>&1 &
  BG=$!
  for i in $(seq 1 300); do
    pid=$(sed -n "s/.*rank $rank pid \([0-9]*\) paused at $phase.*/\1/p" "$log")
    [ -n "$pid" ] && break
    sleep 0.1
  done
  if [ -z "$pid" ]; then
    cat "$log"
    fail "crash at $phase: the writer never paused"
    return
  fi
  kill -9 "$pid"
  if wait "$BG"; then fail "crash at $phase: mpirun exited 0 after a rank was killed"; fi
  BG=""
  [ "$(cat "$RUN/checkpoints/latest")" = "step-00000100.h5" ] ||
    fail "crash at $phase: latest is '$(cat "$RUN/checkpoints/latest")', expected step-00000100.h5"
  [ -e "$RUN/checkpoints/step-$(printf %08d "$step").h5" ] &&
    fail "crash at $phase: step $step was committed"
  run "${MPIRUN[@]}" -n 1 "$BIN" read "$RUN" 100
  echo "crash at $phase (rank $rank killed): $(grep -h '^read' "$WORK/out.log")"
}
crash after_write 1 200
crash before_rename 0 300

# The next successful save commits, prunes the stale temporaries, and loads at 4 ranks.
run "${MPIRUN[@]}" -n 2 "$BIN" write "$RUN" 400
ls "$RUN/checkpoints" | grep -q '\.tmp$' && fail "stale temporaries left: $(ls "$RUN/checkpoints")"
run "${MPIRUN[@]}" -n 4 "$BIN" read "$RUN" 400
grep -h '^read' "$WORK/out.log"

if [ "$failures" -ne 0 ]; then
  echo "checkpoint_mpi: $failures failure(s)"
  exit 1
fi
echo "checkpoint_mpi: all passed"
