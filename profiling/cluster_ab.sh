#!/usr/bin/env bash
# A/B of training variants across real Slurm nodes (docs/cluster.md): the default
# config at P nodes x 1 rank x 1 thread on the tests/cluster fixture, links shaped to
# each RATE, every VARIANT run in every round, rounds repeated and the variants' order
# rotated per round, so a shared machine's load drifts over all variants alike. Each
# round runs its own 1-node baseline; efficiency = img/s(P) / (P x img/s(1)) of the
# same round, and the summary gives per variant the median over rounds of the
# efficiency, of the exposed sync (sync_wait: its minimum over ranks and its mean) and
# of img/s relative to the first variant in the same round. Beside it the network's
# share alone, net = compute / (compute + mean sync_wait + mean allgather: ZeRO-1's
# all-gather, 0 without) of the same runs,
# and what profiling/scaling_model predicts for it from the variant's config at the
# link's rate (alpha from bench_allreduce over the unshaped links, compute time from
# round 1's run of the variant: on this machine's shared cores P ranks compute slower
# than one, which is not the network's doing). The mean, not the minimum: Open MPI's
# tree allreduce lets rank 0 finish when its broadcast is in the socket buffers, so
# the minimum is rank 0's shorter wait (docs/cluster.md). RATE none is the unshaped link. A
# benchmark, never a test. Needs root (tests/cluster/up.sh).
#   usage: profiling/cluster_ab.sh [--build DIR] [--out DIR] [--steps N] [--repeats R]
#          [--rates 1gbit,200mbit] [--nodes P] [--summarize] VARIANT...
# --summarize prints the summary of the runs already in --out (same rates and variants)
# without running anything.
# VARIANT is NAME or NAME:TOKEN,TOKEN,...; a token KEY=VALUE whose KEY has a dot is a
# config override (mpi.progress=thread), any other goes into the job's environment
# (OMPI_MCA_btl_tcp_progress_thread=1). Example:
#   profiling/cluster_ab.sh --rates 1gbit base tcpthread:OMPI_MCA_btl_tcp_progress_thread=1
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build out= steps=24 repeats=3 rates=1gbit P=2 variants=() summarize=0
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --nodes) P=$2; shift 2 ;;
    --summarize) summarize=1; shift ;;
    -*) echo "cluster_ab: unknown option $1 (see the usage at the top of the script)" >&2; exit 2 ;;
    *) variants+=("$1"); shift ;;
  esac
done
[ ${#variants[@]} -ge 1 ] || { echo "cluster_ab: name at least one VARIANT" >&2; exit 2; }
[ "$P" -ge 2 ] && [ "$P" -le 4 ] || { echo "cluster_ab: --nodes must be 2..4" >&2; exit 2; }
build=$(cd "$build" && pwd)
out=$(realpath -m "${out:-$build/cluster_ab}")
case "$out/" in /tmp/*) echo "cluster_ab: --out must not be under /tmp (each node has its own)" >&2; exit 2 ;; esac
export VDMC_CLUSTER_NAME=${VDMC_CLUSTER_NAME:-vdmcprof}
per_rank=16
results=$out/results.txt
n=${#variants[@]}

# variant_job RATE VARIANT ROUND: runs the variant, appends one result line
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

# run_all: the calibration, then every round into $results
run_all() {
  rm -rf "$out"
  mkdir -p "$out"
  source "$here/profiling/cluster_job.sh"
  "$here/tests/cluster/up.sh" "$P" >/dev/null
  trap '"$here/tests/cluster/down.sh"' EXIT
  "$build/vdmc" prepare fashion-mnist --out "$out/data" >/dev/null
  echo "== cluster_ab: configs/fmnist.yaml, $per_rank img/rank, $steps steps, P = $P nodes x 1 rank x 1 thread," \
    "$repeats round(s), variants: ${variants[*]}; $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$out" && login sbatch -W -N 2 --ntasks-per-node=1 -o "$out/allreduce.txt" \
    --wrap "mpirun --allow-run-as-root --bind-to none $build/profiling/bench_allreduce $((16 * 1024 * 1024))" >/dev/null)
  echo "unshaped links, bench_allreduce at P=2: $(grep '^MODEL iallreduce' "$out/allreduce.txt")"
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
}

# predict: scaling_model's net efficiency and exposed sync per rate and variant (round 1's runs)
predict() {
  local calib_gbit rate gbit burst v run pred
  calib_gbit=$(sed -n 's/^MODEL iallreduce .*beta_Bps=\([^ ]*\).*/\1/p' "$out/allreduce.txt" | awk '{ print $1 * 8 / 1e9 }')
  for rate in ${rates//,/ }; do
    gbit=$(awk -v r="$rate" -v c="$calib_gbit" 'BEGIN { v = r + 0; print r == "none" ? c : r ~ /mbit/ ? v / 1000 : v }')
    burst=0  # the token bucket of the shaping, none unshaped
    [ "$rate" = none ] || burst=$("$here/tests/cluster/shape_burst.sh" "$(awk -v g="$gbit" 'BEGIN { print g * 1e9 }')")
    for v in "${variants[@]}"; do
      run=$out/r1_${rate}_${v%%:*}
      pred=$("$build/profiling/scaling_model" --run "$run" --calibration "$out/allreduce.txt" \
        --cores-per-node 1 --node-batch $per_rank --nodes "$P" --link "$gbit" --link-burst "$burst" --out "$out" "$run/config.yaml" |
        tee "$run.model" | grep '^PREDICT')
      echo "rate=$rate variant=${v%%:*} $pred"
    done
  done >"$out/predicted.txt"
}

# summarize: per round efficiency against that round's 1-node run, img/s against the
# first variant; medians over rounds beside the prediction
summarize() {
  awk -v P="$P" -v first="${variants[0]%%:*}" '
  function f(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } }
  FILENAME ~ /predicted/ { pe[f("rate") " " f("variant")] = f("efficiency"); px[f("rate") " " f("variant")] = f("exposed_ms"); next }
  { r = f("round"); v = f("variant"); rate = f("rate"); ips[r, rate, v] = f("img_per_s")
    if (v == "p1") { base[r] = f("img_per_s"); next }
    key = rate " " v; if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
    wait[r, key] = 1e3 * f("sync_wait_min_s"); mwait[r, key] = 1e3 * f("sync_wait_s"); magw[r, key] = 1e3 * f("allgather_s"); comp[r, key] = 1e3 * f("compute_s"); early[r, key] = 100 * f("launched_early"); rounds[r] = 1
    agmin[r, key] = 1e3 * f("allgather_min_s"); agmax[r, key] = 1e3 * f("allgather_max_s") }
  function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    printf "%-8s %-12s %6s %10s %8s %10s %6s %9s %9s %7s %7s | %6s %8s %8s\n", "link", "variant", "rounds", "efficiency", "img/s", "vs " first, "early%", "sync_min", "sync_mean", "ag_min", "ag_max", "net", "pred_net", "pred_ms"
    for (k = 1; k <= nk; k++) {
      split(keys[k], kv, " "); n = 0; delete e; delete w; delete x; delete q; delete ea; delete ne; delete mw; delete gn; delete gx
      for (r in rounds) { if (!((r, keys[k]) in wait)) continue; n++
        e[n] = ips[r, kv[1], kv[2]] / (P * base[r]); x[n] = ips[r, kv[1], kv[2]]; w[n] = wait[r, keys[k]]
        q[n] = ips[r, kv[1], kv[2]] / ips[r, kv[1], first]; ea[n] = early[r, keys[k]]
        mw[n] = mwait[r, keys[k]]; gn[n] = agmin[r, keys[k]]; gx[n] = agmax[r, keys[k]]; ne[n] = comp[r, keys[k]] / (comp[r, keys[k]] + mw[n] + magw[r, keys[k]]) }
      printf "%-8s %-12s %6d %10.3f %8.2f %10.3f %6.0f %9.1f %9.1f %7.1f %7.1f | %6.3f %8.3f %8.1f\n", kv[1], kv[2], n, median(e, n), median(x, n), median(q, n), median(ea, n), median(w, n), median(mw, n), median(gn, n), median(gx, n), median(ne, n), pe[keys[k]], px[keys[k]]
    }
    print "medians over rounds; efficiency against the same round'"'"'s 1-node run; vs " first " = img/s over the first variant'"'"'s"
    print "in the same round; sync_min, sync_mean = sync_wait ms/step, minimum and mean over ranks; ag_min, ag_max = ZeRO-1'"'"'s"
    print "all-gather ms/step (phase allgather), minimum and maximum over ranks; net = compute / (compute + sync_mean + mean all-gather);"
    print "pred_net, pred_ms = scaling_model for the link (none: the bench_allreduce fit), compute from the round-1 run"
  }' "$out/predicted.txt" "$results"
  echo "per-run lines: $results; runs, logs, reports: $out"
}

[ "$summarize" = 1 ] || run_all
predict
summarize
