# Sourced by up.sh, down.sh and the cluster tests: the names one fixture owns, all
# derived from parameters so two fixtures never collide.
#   VDMC_CLUSTER_NAME    prefix of the network namespaces (default vdmc)
#   VDMC_CLUSTER_SUBNET  first three octets of the private /24 inside them (default 10.213.0)
#   VDMC_CLUSTER_STATE   state directory: config, logs, pids, the nodes' /tmp; not under
#                        /tmp, which every node replaces with its own (default /var/tmp/vdmc-cluster-NAME)
# Namespaces: NAME-sw holds the bridge br0 (and the bridge-side veths vK), NAME-ctl
# the controller (10.x.y.1, hostname ctl), NAME-nodeK node K (10.x.y.(10+K), hostname
# nodeK, interface eth0). No namespace has a default route: nothing leaves the machine.
cluster_name=${VDMC_CLUSTER_NAME:-vdmc}
cluster_subnet=${VDMC_CLUSTER_SUBNET:-10.213.0}
cluster_state=${VDMC_CLUSTER_STATE:-/var/tmp/vdmc-cluster-$cluster_name}
cluster_conf=$cluster_state/slurm.conf
cluster_sw=$cluster_name-sw
cluster_ctl=$cluster_name-ctl
cluster_node_ns() { echo "$cluster_name-node$1"; }   # K -> namespace of node K
cluster_node_ip() { echo "$cluster_subnet.$((10 + $1))"; }
cluster_link_bytes() {  # K: bytes received + sent on node K's eth0 (/proc/net/dev is per network namespace)
  nsenter --net="/run/netns/$(cluster_node_ns "$1")" awk '$1 == "eth0:" { printf "%.0f\n", $2 + $10 }' /proc/net/dev
}
