#!/usr/bin/env bash
# tests/cluster/up.sh N: a real N-node Slurm cluster (N = 2..4) on this machine, for the
# `cluster` tests and profiling/cluster_scaling.sh (docs/cluster.md). Needs root, network,
# UTS and mount namespaces, slurm-wlm and munge. Names come from tests/cluster/names.sh.
# Each node is one `slurmd -D -N nodeK` in its own network namespace (veth on a
# bridge), UTS namespace (hostname nodeK) and mount namespace (its own /tmp, which
# PMIx and Open MPI use for per-node session files; its own /etc/hosts naming the
# nodes). slurmctld runs the same way as host "ctl"; munged (a Unix socket, no
# network) runs as the munge user in the host's namespaces. Prints the environment to
# use; Slurm clients must run inside NAME-ctl: tests/cluster/login.sh CMD does that.
# On failure it tears down what it made and exits non-zero.
set -Eeuo pipefail  # -E: the ERR trap also fires in functions
here=$(cd "$(dirname "$0")" && pwd)
source "$here/names.sh"
n=${1:-}
[[ "$n" =~ ^[2-4]$ ]] || { echo "usage: tests/cluster/up.sh N   (N = 2..4 nodes)" >&2; exit 2; }
case "$cluster_state/" in /tmp/*) echo "up.sh: VDMC_CLUSTER_STATE=$cluster_state is under /tmp, which each node replaces" >&2; exit 2 ;; esac
[ -e "/run/netns/$cluster_ctl" ] && { echo "up.sh: a cluster named $cluster_name is already up (tests/cluster/down.sh)" >&2; exit 1; }
trap 'echo "up.sh: failed; tearing down" >&2; "$here/down.sh" >&2' ERR

mkdir -p "$cluster_state/munge" "$cluster_state/ctl"
chmod 755 "$cluster_state"
echo "$n" >"$cluster_state/nodes"

# munge: a fresh key for this cluster only, owned by the munge user as munged demands
chown munge: "$cluster_state/munge"
chmod 755 "$cluster_state/munge"  # munged wants it its own; slurm (root) reaches the socket
runuser -u munge -- mungekey --create --keyfile="$cluster_state/munge/munge.key"
runuser -u munge -- munged --socket="$cluster_state/munge/socket" --key-file="$cluster_state/munge/munge.key" \
  --pid-file="$cluster_state/munge/munged.pid" --log-file="$cluster_state/munge/munged.log" \
  --seed-file="$cluster_state/munge/seed"

# network: the bridge in its own namespace, one veth per host, no default route anywhere
ip netns add "$cluster_sw"
ip -n "$cluster_sw" link add name br0 type bridge
ip -n "$cluster_sw" link set br0 up
ip -n "$cluster_sw" link set lo up
attach() {  # NAMESPACE VETH_NAME IP
  ip netns add "$1"
  ip -n "$cluster_sw" link add name "$2" type veth peer name eth0 netns "$1"
  ip -n "$cluster_sw" link set "$2" master br0 up
  ip -n "$1" addr add "$3/24" dev eth0
  ip -n "$1" link set eth0 up
  ip -n "$1" link set lo up
}
attach "$cluster_ctl" vctl "$cluster_subnet.1"
hosts="127.0.0.1 localhost"$'\n'"$cluster_subnet.1 ctl"
for k in $(seq 1 "$n"); do
  attach "$(cluster_node_ns "$k")" "v$k" "$(cluster_node_ip "$k")"
  hosts+=$'\n'"$(cluster_node_ip "$k") node$k"
  mkdir -p "$cluster_state/node$k/tmp" "$cluster_state/node$k/spool"
  chmod 1777 "$cluster_state/node$k/tmp"
done
echo "$hosts" >"$cluster_state/hosts"

"$here/slurm_conf.sh" "$n" >"$cluster_conf"
: >"$cluster_state/plugstack.conf"

# What the nodes must still see under /tmp although each one gets its own: the top
# directory under /tmp of this repository (a clone in /tmp holds the vdmc the jobs run)
# and of every path in VDMC_CLUSTER_SHARE (colon-separated; tests add their binary's
# directory). Like a cluster's shared file system, these are the same files on every node.
shared_tmp_dirs() {
  local p share=${VDMC_CLUSTER_SHARE:-}
  for p in "$(cd "$here/../.." && pwd -P)" ${share//:/ }; do
    p=$(realpath -m "$p")
    case $p in /tmp/?*) p=${p#/tmp/}; echo "/tmp/${p%%/*}" ;; esac
  done | sort -u | tr '\n' ' '
}
shared=$(shared_tmp_dirs)

# start_host NAMESPACE HOSTNAME TMP_DIR CMD...: CMD in the background with its own
# hostname, /tmp (with the shared directories bound into it) and /etc/hosts, in network
# namespace NAMESPACE. nsenter, not `ip netns exec`, which remounts /sys and hides
# /sys/fs/cgroup (slurmd 22.05 then refuses to start). --rbind carries the shared
# directories' mounts along; propagation is private, so the host sees none of them.
start_host() {
  local ns=$1 host=$2 tmp=$3
  shift 3
  SLURM_CONF=$cluster_conf nsenter --net="/run/netns/$ns" -- unshare --uts --mount --propagation private -- \
    sh -c 'for d in $4; do mkdir -p "$2${d#/tmp}" && mount --bind "$d" "$2${d#/tmp}" || exit 1; done &&
           hostname "$1" && mount --rbind "$2" /tmp && mount --bind "$3" /etc/hosts && shift 4 && exec "$@"' \
    sh "$host" "$tmp" "$cluster_state/hosts" "$shared" "$@" </dev/null >>"$cluster_state/daemons.log" 2>&1 &
}
mkdir -p "$cluster_state/ctl/tmp"
start_host "$cluster_ctl" ctl "$cluster_state/ctl/tmp" slurmctld -D -i -f "$cluster_conf"
echo $! >"$cluster_state/ctl/slurmctld.pid"
for k in $(seq 1 "$n"); do
  start_host "$(cluster_node_ns "$k")" "node$k" "$cluster_state/node$k/tmp" slurmd -D -N "node$k" -f "$cluster_conf"
  echo $! >"$cluster_state/node$k/slurmd.pid"
done

# ready when every node is idle (slurmd registered with slurmctld)
for _ in $(seq 1 100); do
  idle=$("$here/login.sh" sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)
  [ "$idle" -eq "$n" ] && break
  sleep 0.2
done
[ "$idle" -eq "$n" ] || { echo "up.sh: only $idle of $n nodes became idle; logs in $cluster_state" >&2; false; }
trap - ERR
echo "export SLURM_CONF=$cluster_conf VDMC_CLUSTER_NAME=$cluster_name VDMC_CLUSTER_STATE=$cluster_state"
echo "# nodes node[1-$n] ($(cluster_node_ip 1)..), controller ctl ($cluster_subnet.1); run Slurm clients as: tests/cluster/login.sh sbatch ..."
