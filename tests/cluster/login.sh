#!/usr/bin/env bash
# tests/cluster/login.sh CMD [ARGS...]: runs CMD as a client of the fixture's cluster
# (sbatch, squeue, scontrol, jobs/chain.sh ...): in the controller's network namespace,
# the only place that reaches it, with SLURM_CONF set before any Slurm call (without a
# config file Slurm clients fall back to a DNS SRV lookup).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/names.sh"
export SLURM_CONF=$cluster_conf
exec nsenter --net="/run/netns/$cluster_ctl" -- "$@"
