#!/usr/bin/env bash
# The fixture itself (tests/cluster/up.sh, down.sh): nodes are separate hosts (own
# hostname, own /tmp), no namespace has a route off the machine, a second cluster of
# the same name is refused, and down.sh leaves nothing behind: no namespaces, no
# daemons, no state directory, and running it again is harmless.
set -u
source "$(dirname "$0")/fixture.sh"
cluster_up 2
for ns in "$cluster_sw" "$cluster_ctl" "$(cluster_node_ns 1)" "$(cluster_node_ns 2)"; do
  [ -z "$(ip -n "$ns" route show default)" ] && ok || bad "$ns has a default route"
done
hosts=$(cd "$work" && login srun -N 2 --ntasks-per-node=1 hostname | sort | tr '\n' ' ')
[ "$hosts" = "node1 node2 " ] && ok || bad "srun hostname on 2 nodes gave '$hosts'"
marks=$(cd "$work" && login srun -N 2 --ntasks-per-node=1 bash -c 'touch /tmp/mark-$(hostname); ls /tmp | grep -c ^mark-')
[ "$marks" = $'1\n1' ] && ok || bad "the nodes share /tmp (marks seen: $marks)"
ls /tmp/mark-node* >/dev/null 2>&1 && bad "a node's /tmp is the host's" || ok
"$src/tests/cluster/up.sh" 2 >/dev/null 2>"$work/again.err" && bad "a second cluster of the same name started" ||
  { grep -q "already up" "$work/again.err" && ok || bad "no 'already up' message: $(cat "$work/again.err")"; }

pids=$(cat "$cluster_state"/*/*.pid "$cluster_state"/munge/munged.pid 2>/dev/null)
t0=$SECONDS
"$src/tests/cluster/down.sh"
echo "down.sh: $((SECONDS - t0)) s"
[ -z "$(ip netns list | grep "^$cluster_name-")" ] && ok || bad "namespaces left: $(ip netns list | grep "^$cluster_name-")"
for p in $pids; do kill -0 "$p" 2>/dev/null && bad "daemon $p still runs"; done
[ ! -e "$cluster_state" ] && ok || bad "state directory $cluster_state left"
"$src/tests/cluster/down.sh" && ok || bad "down.sh on a removed cluster failed"
finish "cluster.fixture"
