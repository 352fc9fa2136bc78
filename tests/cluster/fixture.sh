# Sourced by tests/cluster/test_*.sh: `cluster_up N` brings up a private N-node
# Slurm cluster (up.sh) named after this test process, torn down on any exit (down.sh);
# where this machine cannot host one (not root, no namespaces, no slurm or munge
# binaries) the test prints one SKIP line saying why and exits 77 (ctest: Skipped),
# or fails when VDMC_REQUIRE_CLUSTER=1 (.ci/run sets it: CI cannot pass without them).
# Sets: vdmc (binary, $1), src (source tree), work (scratch directory the nodes
# see, inside the fixture's state directory), data_args (--set overrides pointing
# data.* at prepared Fashion-MNIST), tiny (config). Helpers below.
vdmc=$(realpath "$1")
src=$(cd "${VDMC_SOURCE_DIR:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd)
test_name=$(basename "$0" .sh)
test_name=${test_name#test_}
source "$src/tests/common/counters.sh"
source "$src/tests/common/mpirun.sh"
tiny=$src/tests/configs/tiny.yaml

cluster_unavailable() {  # prints why this machine cannot host the fixture, or nothing
  [ "$(id -u)" -eq 0 ] || { echo "not root"; return; }
  local b
  for b in slurmctld slurmd munged mungekey sbatch nsenter unshare ip; do
    command -v "$b" >/dev/null || { echo "no $b (apt-get install slurm-wlm munge)"; return; }
  done
  id munge >/dev/null 2>&1 || { echo "no munge user"; return; }
  unshare --uts --mount true 2>/dev/null || { echo "no UTS/mount namespaces"; return; }
  local probe="vdmc-probe-$$"
  ip netns add "$probe" 2>/dev/null || { echo "cannot create network namespaces"; return; }
  ip netns del "$probe"
}

cluster_up() {  # N
  local why
  why=$(cluster_unavailable)
  if [ -n "$why" ]; then
    if [ "${VDMC_REQUIRE_CLUSTER:-0}" = 1 ]; then
      echo "FAIL: cluster.$test_name: this machine cannot host the Slurm cluster fixture ($why) and VDMC_REQUIRE_CLUSTER=1"
      exit 1
    fi
    echo "SKIP: cluster.$test_name NOT RUN: this machine cannot host the Slurm cluster fixture: $why"
    exit 77
  fi
  # a test killed outright (ctest's timeout) could not tear its cluster down: remove
  # those of test processes that no longer exist
  local stale
  for stale in $(ip netns list | sed -n 's/^vc\([0-9]*\)-ctl.*/\1/p'); do
    kill -0 "$stale" 2>/dev/null ||
      VDMC_CLUSTER_NAME=vc$stale VDMC_CLUSTER_STATE=/var/tmp/vdmc-cluster-vc$stale "$src/tests/cluster/down.sh"
  done
  export VDMC_CLUSTER_SHARE="$src:$(dirname "$vdmc")"    # nodes see them even under /tmp
  export VDMC_CLUSTER_NAME=vc$$                         # unique per test process
  export VDMC_CLUSTER_STATE=/var/tmp/vdmc-cluster-vc$$
  trap 'cluster_down' EXIT
  trap 'exit 1' INT TERM HUP                            # through the EXIT trap
  local t0=$SECONDS
  "$src/tests/cluster/up.sh" "$1" >/dev/null || { echo "FAIL: tests/cluster/up.sh $1"; exit 1; }
  echo "cluster: $1 nodes up in $((SECONDS - t0)) s ($VDMC_CLUSTER_NAME)"
  source "$src/tests/cluster/names.sh"
  work=$cluster_state/work
  mkdir -p "$work"
  "$vdmc" prepare fashion-mnist --out "$work/data" >/dev/null || { echo "FAIL: vdmc prepare fashion-mnist"; exit 1; }
  data_args=(--set "data.train=$work/data/fashion-mnist-train.h5" --set "data.test=$work/data/fashion-mnist-test.h5")
}

cluster_down() {
  local t0=$SECONDS
  [ "$fail" -eq 0 ] || { echo "--- slurmctld log tail"; tail -n 15 "$cluster_state/ctl/slurmctld.log"; } 2>/dev/null
  # VDMC_CLUSTER_KEEP_LOGS=DIR keeps the job outputs and daemon logs for a post-mortem
  [ -n "${VDMC_CLUSTER_KEEP_LOGS:-}" ] && mkdir -p "$VDMC_CLUSTER_KEEP_LOGS" &&
    (cd "$cluster_state" && cp --parents -t "$VDMC_CLUSTER_KEEP_LOGS" work/*.out work/*.log ./*/*.log 2>/dev/null)
  "$src/tests/cluster/down.sh"
  echo "cluster: down in $((SECONDS - t0)) s"
}

login() { "$src/tests/cluster/login.sh" "$@"; }

# submit [sbatch options] SCRIPT ARGS...: prints the job id. Runs in $work; the jobs
# find the binary through VDMC (jobs/train.sbatch).
submit() { (cd "$work" && VDMC=$vdmc login sbatch --parsable "$@"); }

job_field() {  # ID FIELD: one field of `scontrol show job` (JobState, Restarts, ...)
  login scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# The states a job ends in; a job in COMPLETING has ended its processes but waits for
# every node to confirm (a dead node: until slurmctld marks it DOWN).
job_ended='COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE'
wait_job() {  # ID SECONDS [STATES]: until the job is in one of STATES (regex; default: ended);
  local s      # prints the state, or TIMEOUT_WAITING(state) after SECONDS
  for _ in $(seq 1 $(( $2 * 4 ))); do
    s=$(job_field "$1" JobState)
    [[ "$s" =~ ^(${3:-$job_ended})$ ]] && { echo "$s"; return; }
    sleep 0.25
  done
  echo "TIMEOUT_WAITING($s)"
}

wait_step() {  # RUN_DIR STEP SECONDS: until RUN_DIR/log.jsonl has logged STEP
  for _ in $(seq 1 $(( $3 * 10 ))); do
    grep -q "\"step\": $2," "$1/log.jsonl" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

same_weights() {  # NAME RUN_A RUN_B: the latest checkpoints are bit-identical
  local a b
  a=$2/checkpoints/$(cat "$2/checkpoints/latest" 2>/dev/null)
  b=$3/checkpoints/$(cat "$3/checkpoints/latest" 2>/dev/null)
  if "$vdmc" compare "$a" "$b" --tol 0 >"$work/$1.cmp" 2>&1; then ok; else bad "$1: weights differ from the reference"; cat "$work/$1.cmp"; fi
}
