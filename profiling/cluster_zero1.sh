#!/usr/bin/env bash
# Where ZeRO-1's time goes across two real nodes (docs/cluster.md, "Where ZeRO-1's time
# goes"): the tests/cluster fixture with 2 nodes, links shaped to RATE; then
# bench_zero1 (each call after backward timed per rank, fp32 and bf16 gradient wire,
# against one shard's message) and link_duplex.py (one shard's bytes one way, the other
# way and both ways at once over plain TCP between node1 and node2: does the shaped
# link carry both directions at its rate at once?). A benchmark, never a test. Needs
# root (tests/cluster/up.sh); names from tests/cluster/names.sh (VDMC_CLUSTER_NAME, ...).
#   usage: profiling/cluster_zero1.sh [--build DIR] [--rate 200mbit] [--out DIR] [BENCH_ENV=VALUE...]
# BENCH_ENV=VALUE pairs go into bench_zero1's job environment (mpirun forwards OMPI_MCA_*),
# e.g. OMPI_MCA_btl_tcp_eager_limit=2097152. About 1 minute.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build rate=200mbit out= bench_env=()
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *=*) bench_env+=("$1"); shift ;;
    *) echo "cluster_zero1: unknown argument $1 (see the usage at the top of the script)" >&2; exit 2 ;;
  esac
done
build=$(cd "$build" && pwd)
out=$(realpath -m "${out:-$build/cluster_zero1}")
case "$out/" in /tmp/*) echo "cluster_zero1: --out must not be under /tmp (each node has its own)" >&2; exit 2 ;; esac
export VDMC_CLUSTER_NAME=${VDMC_CLUSTER_NAME:-vdmcprof}
source "$here/tests/cluster/names.sh"
mkdir -p "$out"
"$here/tests/cluster/up.sh" 2 >/dev/null
trap '"$here/tests/cluster/down.sh"' EXIT
"$here/tests/cluster/shape.sh" "$rate"
echo "== cluster_zero1: 2 nodes, links shaped to $rate, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for wire in fp32 bf16; do
  (cd "$out" && env ${bench_env[@]+"${bench_env[@]}"} "$here/tests/cluster/login.sh" sbatch -W -N 2 --ntasks-per-node=1 \
    -o "$out/bench_zero1_$wire.txt" --wrap "mpirun --allow-run-as-root --bind-to none $build/profiling/bench_zero1 672721 $wire" \
    >/dev/null)
  cat "$out/bench_zero1_$wire.txt"
done
# one shard's bytes in fp32, as bench_zero1 printed it
shard=$(sed -n 's/.* shard \([0-9]*\) floats.*/\1/p' "$out/bench_zero1_fp32.txt" | awk '{ print 4 * $1 }')
ip netns exec "$(cluster_node_ns 2)" python3 "$here/profiling/link_duplex.py" server 5599 &
server=$!
sleep 1
ip netns exec "$(cluster_node_ns 1)" python3 "$here/profiling/link_duplex.py" client "$(cluster_node_ip 2)" 5599 "$shard" 20 0.2 |
  tee "$out/link_duplex.txt"
wait "$server"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); outputs in $out"
