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
# vdmc_mpirun_unit VDMC TEST N...: runs the unit test build/tests/TEST under mpirun at
# each rank count N (its singleton run is the ctest entry unit.NAME); says FAIL for each
# count that failed and returns 1 if any did.
vdmc_mpirun_unit() {
  local bin fail=0 n
  bin=$(vdmc_test_bin "$1" "$2")
  shift 2
  for n in "$@"; do
    vdmc_mpirun "$n" "$bin" || { echo "FAIL: $(basename "$bin") with $n ranks"; fail=1; }
  done
  return $fail
}
