# Sourced by profiling/cluster_scaling.sh and profiling/cluster_ab.sh: one training job
# of the default config on the tests/cluster fixture, and the fields of its summary.
# The caller sets here, build, out, steps, per_rank and (optionally) job_env, a list of
# VAR=VALUE put into the job's environment (train.sbatch exports it to the ranks;
# mpirun forwards OMPI_MCA_* to them).
source "$here/tests/cluster/names.sh"
login() { "$here/tests/cluster/login.sh" "$@"; }
links_bytes() { for k in $(seq 1 "$(cat "$cluster_state/nodes")"); do cluster_link_bytes "$k"; done; }

# job NAME NODES [KEY=VALUE...]: $config (default configs/fmnist.yaml) on NODES x 1 rank x 1 thread through
# jobs/train.sbatch, the KEY=VALUEs as --set overrides; prints the report's SUMMARY
# line and the MB each node's link moved per step (node1/node2/...)
job() {
  local name=$1 nodes=$2 before after sets=() kv
  shift 2
  for kv in "$@"; do sets+=(--set "$kv"); done
  before=($(links_bytes))
  (cd "$out" && env ${job_env[@]+"${job_env[@]}"} VDMC="$build/vdmc" "$here/tests/cluster/login.sh" \
    sbatch -W -N "$nodes" --ntasks-per-node=1 -o "$out/$name.log" \
    "$here/jobs/train.sbatch" "${config:-$here/configs/fmnist.yaml}" "$out/$name" \
    --set "data.train=$out/data/fashion-mnist-train.h5" --set "data.test=$out/data/fashion-mnist-test.h5" \
    --set optim.batch_size=$((per_rank * nodes)) --set optim.steps="$steps" --set run.log_every=$((steps / 3)) \
    --set run.checkpoint_every=1000000 --set run.sample_every=0 --set mpi.threads_per_rank=1 \
    ${sets[@]+"${sets[@]}"} >/dev/null) ||
    { echo "job $name failed:" >&2; tail -5 "$out/$name.log" >&2; return 1; }
  after=($(links_bytes))
  "$build/profiling/report" "$out/$name" >"$out/$name.report"
  local mb=() k
  for k in $(seq 0 $((nodes - 1))); do
    mb+=("$(awk -v b=$((after[k] - before[k])) -v s="$steps" 'BEGIN { printf "%.2f", b / s / 1e6 }')")
  done
  echo "$(grep '^SUMMARY' "$out/$name.report") link_mb_per_step=$(IFS=/; echo "${mb[*]}")"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
