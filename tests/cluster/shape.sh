#!/usr/bin/env bash
# tests/cluster/shape.sh RATE|none: shapes every node's link of the fixture named by
# tests/cluster/names.sh to RATE (tc syntax: 10gbit, 1gbit, 200mbit) in both
# directions: a tbf on the node's eth0 (what it sends) and on its bridge-side veth vK
# (what it receives). `none` removes the shaping. Only bandwidth: this kernel's tc has
# tbf and htb but no netem, so latency cannot be added. The burst: shape_burst.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/names.sh"
rate=${1:?usage: tests/cluster/shape.sh RATE|none   (e.g. 1gbit)}
n=$(cat "$cluster_state/nodes")
bits=$(awk -v r="$rate" 'BEGIN { v = r + 0; u = tolower(substr(r, length(v "") + 1));
  print v * (u ~ /^g/ ? 1e9 : u ~ /^m/ ? 1e6 : u ~ /^k/ ? 1e3 : 1) }')
burst=$("$here/shape_burst.sh" "$bits")
shape() {  # NAMESPACE DEV
  tc -n "$1" qdisc del dev "$2" root 2>/dev/null || true
  [ "$rate" = none ] || tc -n "$1" qdisc add dev "$2" root tbf rate "$rate" burst "$burst" latency 50ms
}
for k in $(seq 1 "$n"); do
  shape "$(cluster_node_ns "$k")" eth0
  shape "$cluster_sw" "v$k"
done
