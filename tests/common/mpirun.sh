# Sourced by tests/cli/*.sh scripts that start MPI jobs on this one machine.
# vdmc_mpirun N CMD...: runs CMD on N ranks, oversubscribing the 2 cores, as root too.
vdmc_mpirun() {
  local n=$1
  shift
  local extra=()
  [ "$(id -u)" -eq 0 ] && extra+=(--allow-run-as-root)
  mpirun --oversubscribe "${extra[@]}" -n "$n" "$@"
}
# The test binaries sit next to the vdmc binary's build tree: build/tests/NAME.
vdmc_test_bin() { echo "$(dirname "$1")/tests/$2"; }
