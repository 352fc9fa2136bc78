#!/usr/bin/env bash
# Weak scaling across real Slurm nodes (docs/cluster.md, docs/scaling.md): two configs,
# the default (configs/fmnist.yaml, 0.67 M parameters, 16 images per rank) and a larger
# one (`fmnist-wide`: the same with base_channels and head_channels 64, 4.75 M
# parameters, 1 MiB buckets, 8 images per rank), 1 rank per node and 1 BLAS thread per
# rank, on 1, 2 and 3 nodes of the tests/cluster fixture (network namespaces on one
# bridge, Open MPI over TCP), links unshaped and shaped with tc tbf to 10 Gb/s, 1 Gb/s
# and 200 Mb/s. Per point: img/s, weak-scaling efficiency (img/s(P) / (P x img/s(1))),
# exposed gradient-sync time per step, bytes through each node's link per step, and
# what profiling/scaling_model predicts for the same bandwidth (alpha from
# bench_allreduce over the unshaped links, compute rate from the 1-node run). The
# points go to OUT_DIR/points.txt and profiling/plot_scaling draws them beside the
# model's: OUT_DIR/efficiency_bandwidth_CONFIG.png and efficiency_nodes_CONFIG.png.
# The machine's cores are shared by all nodes: with 2 cores, 3 single-threaded ranks
# cannot all run at once, so the 3-node points measure CPU contention as much as the
# network. A benchmark, never a test. Needs root (tests/cluster/up.sh).
#   usage: profiling/cluster_scaling.sh [BUILD_DIR] [STEPS] [OUT_DIR]   (about 5 minutes)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
steps=${2:-6}
out=${3:-$build/cluster_scaling}
export VDMC_CLUSTER_NAME=${VDMC_CLUSTER_NAME:-vdmcprof}
case "$(realpath -m "$out")/" in /tmp/*) echo "cluster_scaling: OUT_DIR must not be under /tmp (each node has its own)" >&2; exit 2 ;; esac
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
source "$here/profiling/cluster_job.sh"
"$here/tests/cluster/up.sh" 3 >/dev/null
trap '"$here/tests/cluster/down.sh"' EXIT
"$build/vdmc" prepare fashion-mnist --out "$out/data" >/dev/null
wide=$out/fmnist-wide.yaml
sed 's/^  base_channels: .*/  base_channels: 64/; s/^  head_channels: .*/  head_channels: 64/; s/^  bucket_mb: .*/  bucket_mb: 1/' \
  "$here/configs/fmnist.yaml" >"$wide"
grep -q '^  base_channels: 64' "$wide" && grep -q '^  bucket_mb: 1$' "$wide" ||
  { echo "cluster_scaling: configs/fmnist.yaml no longer has the keys fmnist-wide changes" >&2; exit 1; }

echo "== cluster_scaling: $steps steps, 1 rank x 1 thread per node;" \
  "this machine has $(nproc) cores for all nodes (load average $(cut -d' ' -f1-3 /proc/loadavg))"
(cd "$out" && login sbatch -W -N 2 --ntasks-per-node=1 -o "$out/allreduce.txt" \
  --wrap "mpirun --allow-run-as-root --bind-to none $build/profiling/bench_allreduce $((16 * 1024 * 1024))" >/dev/null)
calib_gbit=$(sed -n 's/^MODEL iallreduce .*beta_Bps=\([^ ]*\).*/\1/p' "$out/allreduce.txt" | awk '{ print $1 * 8 / 1e9 }')
echo "unshaped links, bench_allreduce at P=2: $(grep '^MODEL iallreduce' "$out/allreduce.txt")"
: >"$out/points.txt"

for spec in "fmnist:$here/configs/fmnist.yaml:16" "fmnist-wide:$wide:8"; do
  IFS=: read -r cname config per_rank <<<"$spec"
  echo "== $cname ($config), $per_rank img/rank, $("$build/vdmc" info "$config" | sed -n 's/^parameters *\([0-9]*\).*/\1/p') parameters"
  one=$(job "${cname}_p1" 1)
  base=$(field img_per_s "$one")
  printf "%-8s %2s %8s %10s %11s %11s %16s | %10s %11s | %6s %8s\n" link P img/s efficiency sync_ms/step exposed% MB/step/node \
    predicted predicted_ms net pred_net
  printf "%-8s %2d %8.2f %10.3f %11.1f %11.1f %16s | %10s %11s | %6s %8s\n" - 1 "$base" 1 0 0 "$(field link_mb_per_step "$one")" 1 0 1 1
  for rate in none 10gbit 1gbit 200mbit; do
    "$here/tests/cluster/shape.sh" "$rate"
    gbit=$(awk -v r="$rate" -v c="$calib_gbit" 'BEGIN { v = r + 0; print r == "none" ? c : r ~ /mbit/ ? v / 1000 : v }')
    echo "POINT config=$cname link_gbit=$gbit P=1 efficiency=1 predicted=1" >>"$out/points.txt"
    burst=0  # the token bucket of the shaping, none unshaped
    [ "$rate" = none ] || burst=$("$here/tests/cluster/shape_burst.sh" "$(awk -v g="$gbit" 'BEGIN { print g * 1e9 }')")
    for P in 2 3; do
      s=$(job "${cname}_${rate}_p$P" $P)
      model=("$build/profiling/scaling_model" --calibration "$out/allreduce.txt" --cores-per-node 1 --node-batch "$per_rank"
        --nodes $P --link "$gbit" --link-burst "$burst" --out "$out")
      # compute from the 1-node run; the unshaped 2-node run is printed beside the model (scaling_model)
      pred=$("${model[@]}" --run "$out/${cname}_none_p2" --compute-run "$out/${cname}_p1" "$config" | grep '^PREDICT')
      # The network's share alone (as profiling/cluster_ab.sh): this run's own compute,
      # which on this machine's shared cores is slower at P > 1 than the 1-node run's
      net=$(awk -v c="$(field compute_s "$s")" -v w="$(field sync_wait_s "$s")" -v a="$(field allgather_s "$s")" \
        'BEGIN { print c / (c + w + a) }')
      pred_net=$("${model[@]}" --run "$out/${cname}_${rate}_p$P" "$config" | grep '^PREDICT')
      eff=$(awk -v a="$(field img_per_s "$s")" -v b="$base" -v p=$P 'BEGIN { printf "%.4f", a / (p * b) }')
      echo "POINT config=$cname link_gbit=$gbit P=$P efficiency=$eff predicted=$(field efficiency "$pred")" >>"$out/points.txt"
      printf "%-8s %2d %8.2f %10.3f %11.1f %11.1f %16s | %10.3f %11.1f | %6.3f %8.3f\n" "$rate" "$P" "$(field img_per_s "$s")" \
        "$eff" "$(awk -v w="$(field sync_wait_min_s "$s")" 'BEGIN { print 1e3 * w }')" \
        "$(awk -v x="$(field sync_exposed "$s")" 'BEGIN { print 100 * x }')" \
        "$(field link_mb_per_step "$s")" \
        "$(field efficiency "$pred")" "$(field exposed_ms "$pred")" "$net" "$(field efficiency "$pred_net")"
    done
  done
done
"$here/tests/cluster/shape.sh" none
"$build/profiling/plot_scaling" "$out/points.txt" "$out"
echo "efficiency = img/s(P) / (P x img/s(1)); sync_ms/step = sync_wait of the rank that reached the gradient sum"
echo "last (no load-imbalance wait); exposed% = mean sync_wait / step; MB/step/node = bytes received + sent per step"
echo "by node1/node2/... (a ring allreduce moves 2 x 2(P-1)/P x 4N on every node); predicted = scaling_model's efficiency and exposed sync for the"
echo "link's bandwidth ('none': the bench_allreduce fit, $calib_gbit Gb/s), compute from the 1-node run; net = the run's"
echo "compute / (compute + mean sync_wait + mean all-gather), the network's share, and pred_net = the model's efficiency"
echo "with that run's own compute (the nodes share $(nproc) cores, so P ranks compute slower than one). Runs, logs, reports: $out"
