#!/usr/bin/env bash
# tests/cluster/down.sh: tears down the fixture named by tests/cluster/names.sh, in the
# order that leaves nothing behind: cancel every job and wait until none is
# COMPLETING (slurmd still has to clean its steps up), stop the slurmds, then
# slurmctld (and munged), then kill whatever still runs in the fixture's namespaces (by pid), delete
# the namespaces (and with them the bridge, veths and qdiscs) and remove the
# state directory. Safe on a half-built or already-removed fixture.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/names.sh"
login() { timeout 10 "$here/login.sh" "$@" 2>/dev/null; }

stop_pids() {  # PIDFILE...: TERM to all, wait up to 10 s for all, then KILL the rest
  local f pids=()
  for f in "$@"; do pids+=($(cat "$f" 2>/dev/null)); done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill "${pids[@]}" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "${pids[@]}" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "${pids[@]}" 2>/dev/null
}

if [ -e "/run/netns/$cluster_ctl" ] && login squeue -h >/dev/null; then
  login scancel --full --user=root
  for _ in $(seq 1 150); do
    [ -z "$(login squeue -h -t CG,R,CF,S -o %i)" ] && break
    sleep 0.2
  done
fi
stop_pids "$cluster_state"/node*/slurmd.pid
# slurmctld takes ~5 s to stop, munged ~2 s; nothing needs a credential any more
stop_pids "$cluster_state/ctl/slurmctld.pid" "$cluster_state/munge/munged.pid"
for ns in $(ip netns list | awk -v p="$cluster_name-" 'index($1, p) == 1 { print $1 }'); do
  pids=$(ip netns pids "$ns")
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null
  ip netns del "$ns"
done
rm -rf "$cluster_state"
