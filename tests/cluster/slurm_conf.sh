#!/usr/bin/env bash
# tests/cluster/slurm_conf.sh N: the fixture's slurm.conf on stdout (called by up.sh).
# Settings that are not Slurm's defaults, and why:
#   AuthInfo cred_expire=10, bf_interval=1  a requeued job waits cred_expire before it
#                          may start again (default 120 s); the backfill pass runs each second
#   SlurmdParameters=config_overrides  every node declares 2 CPUs although the machine has 2 in all
#   SlurmdTimeout=10       a node whose slurmd stops answering is DOWN after ~10 s and
#                          its jobs end (default 300 s)
#   KillWait=5             SIGTERM -> SIGKILL grace at time limits, scancel, requeue
#   MinJobAge=600          finished jobs stay visible to `scontrol show job` (the tests
#                          read their end states; there is no accounting database)
#   proctrack/linuxproc, task/none, no accounting: no cgroups, no slurmdbd
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/names.sh"
n=$1
s=$cluster_state
cat <<CONF
ClusterName=$cluster_name
SlurmctldHost=ctl($cluster_subnet.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$s/munge/socket,cred_expire=10
StateSaveLocation=$s/ctl/state
SlurmdSpoolDir=$s/%n/spool
SlurmctldPidFile=$s/ctl/slurmctld.pidfile
SlurmdPidFile=$s/%n/slurmd.pidfile
SlurmctldLogFile=$s/ctl/slurmctld.log
SlurmdLogFile=$s/%n/slurmd.log
PlugStackConfig=$s/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
SlurmdTimeout=10
KillWait=5
InactiveLimit=0
MinJobAge=600
TmpFS=/tmp
CONF
for k in $(seq 1 "$n"); do
  echo "NodeName=node$k NodeAddr=$(cluster_node_ip "$k") CPUs=2 RealMemory=2000 State=UNKNOWN"
done
echo "PartitionName=test Nodes=node[1-$n] Default=YES MaxTime=INFINITE State=UP"
