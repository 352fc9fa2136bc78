#!/usr/bin/env bash
# A/B of training variants across real Slurm nodes (docs/cluster.md): the default
# config at P nodes x 1 rank x 1 thread on the tests/cluster fixture, links shaped to
# each RATE, every VARIANT run in every round, rounds repeated and the variants' order
# rotated per round, so a shared machine's load drifts over all variants alike. Each
# round runs its own 1-node baseline; efficiency = img/s(P) / (P x img/s(1)) of the
# same round, and the summary gives per variant the median over rounds of the
# efficiency, of the exposed sync (sync_wait of the rank that reached the gradient sum
# last) and of img/s relative to the first variant in the same round. A benchmark,
# never a test. Needs root (tests/cluster/up.sh).
#   usage: profiling/cluster_ab.sh [--build DIR] [--out DIR] [--steps N] [--repeats R]
#          [--rates 1gbit,200mbit] [--nodes P] VARIANT...
# VARIANT is NAME or NAME:TOKEN,TOKEN,...; a token KEY=VALUE whose KEY has a dot is a
# config override (mpi.progress=thread), any other goes into the job's environment
# (OMPI_MCA_btl_tcp_progress_thread=1). Example:
#   profiling/cluster_ab.sh --rates 1gbit base tcpthread:OMPI_MCA_btl_tcp_progress_thread=1
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build out= steps=24 repeats=3 rates=1gbit P=2 variants=()
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --nodes) P=$2; shift 2 ;;
    -*) echo "cluster_ab: unknown option $1 (see the usage at the top of the script)" >&2; exit 2 ;;
    *) variants+=("$1"); shift ;;
  esac
done
[ ${#variants[@]} -ge 1 ] || { echo "cluster_ab: name at least one VARIANT" >&2; exit 2; }
[ "$P" -ge 2 ] && [ "$P" -le 4 ] || { echo "cluster_ab: --nodes must be 2..4" >&2; exit 2; }
build=$(cd "$build" && pwd)
out=${out:-$build/cluster_ab}
case "$(realpath -m "$out")/" in /tmp/*) echo "cluster_ab: --out must not be under /tmp (each node has its own)" >&2; exit 2 ;; esac
export VDMC_CLUSTER_NAME=${VDMC_CLUSTER_NAME:-vdmcprof}
per_rank=16
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
source "$here/profiling/cluster_job.sh"
"$here/tests/cluster/up.sh" "$P" >/dev/null
trap '"$here/tests/cluster/down.sh"' EXIT
"$build/vdmc" prepare fashion-mnist --out "$out/data" >/dev/null

# variant_job NAME P VARIANT ROUND: runs the variant, appends one result line
results=$out/results.txt
variant_job() {
  local rate=$1 v=$2 r=$3 name=${2%%:*} tokens=() sets=() t s
  job_env=()
  [ "$v" = "$name" ] || IFS=, read -r -a tokens <<<"${v#*:}"
  for t in ${tokens[@]+"${tokens[@]}"}; do
    if [[ ${t%%=*} == *.* ]]; then sets+=("$t"); else job_env+=("$t"); fi
  done
  s=$(job "r${r}_${rate}_$name" "$P" ${sets[@]+"${sets[@]}"})
  echo "round=$r rate=$rate variant=$name load=$(cut -d' ' -f1 /proc/loadavg) $s" >>"$results"
}

echo "== cluster_ab: configs/fmnist.yaml, $per_rank img/rank, $steps steps, P = $P nodes x 1 rank x 1 thread," \
  "$repeats round(s), variants: ${variants[*]}; $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
n=${#variants[@]}
for r in $(seq 1 "$repeats"); do
  "$here/tests/cluster/shape.sh" none
  job_env=()
  s=$(job "r${r}_p1" 1)
  echo "round=$r rate=- variant=p1 load=$(cut -d' ' -f1 /proc/loadavg) $s" >>"$results"
  for rate in ${rates//,/ }; do
    "$here/tests/cluster/shape.sh" "$rate"
    for i in $(seq 0 $((n - 1))); do
      variant_job "$rate" "${variants[$(((i + r - 1) % n))]}" "$r"
    done
  done
  echo "round $r done (load average $(cut -d' ' -f1-3 /proc/loadavg))"
done
"$here/tests/cluster/shape.sh" none
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# Per round: efficiency against that round's 1-node run, img/s against the first variant.
first=${variants[0]%%:*}
awk -v P="$P" -v first="$first" '
  function f(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } }
  { r = f("round"); v = f("variant"); rate = f("rate"); ips[r, rate, v] = f("img_per_s")
    if (v == "p1") { base[r] = f("img_per_s"); next }
    key = rate " " v; if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
    wait[r, key] = 1e3 * f("sync_wait_min_s"); early[r, key] = 100 * f("launched_early"); rounds[r] = 1 }
  function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    printf "%-8s %-12s %6s %10s %10s %14s %10s  %s\n", "link", "variant", "rounds", "efficiency", "img/s", "sync_ms/step", "early%", "img/s vs " first " (same round)"
    for (k = 1; k <= nk; k++) {
      split(keys[k], kv, " "); n = 0; delete e; delete w; delete x; delete q; delete ea
      for (r in rounds) { if (!((r, keys[k]) in wait)) continue; n++
        e[n] = ips[r, kv[1], kv[2]] / (P * base[r]); x[n] = ips[r, kv[1], kv[2]]; w[n] = wait[r, keys[k]]
        q[n] = ips[r, kv[1], kv[2]] / ips[r, kv[1], first]; ea[n] = early[r, keys[k]] }
      printf "%-8s %-12s %6d %10.3f %10.2f %14.1f %10.0f  %.3f\n", kv[1], kv[2], n, median(e, n), median(x, n), median(w, n), median(ea, n), median(q, n)
    }
    print "medians over rounds; efficiency against the same round'"'"'s 1-node run; sync_ms/step = sync_wait of the last rank to reach the sum"
  }' "$results"
echo "per-run lines: $results; runs, logs, reports: $out"
