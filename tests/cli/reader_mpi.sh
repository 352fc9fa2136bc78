#!/usr/bin/env bash
# The sharded reader under mpirun -n 1, 2, 3 with both Open MPI MPI-IO components
# (OMPIO and ROMIO): test_reader checks each run itself; here the order digests it
# prints (global index + flip sequence) must be identical for every P and component.
# Usage (ctest): bash reader_mpi.sh /path/to/build/vdmc
set -euo pipefail
vdmc=$1
test_reader=$(dirname "$vdmc")/tests/test_reader
[ -x "$test_reader" ] || { echo "reader_mpi.sh: $test_reader not built" >&2; exit 1; }
root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
first=""
for io in ompio romio321; do
  for p in 1 2 3; do
    out=$(OMPI_MCA_io=$io mpirun --oversubscribe "${root[@]}" -n "$p" "$test_reader") || {
      echo "$out"; echo "FAIL: test_reader with P=$p, io=$io" >&2; exit 1; }
    digest=$(grep '^order digest:' <<<"$out")
    echo "P=$p io=$io $digest"
    [ -n "$digest" ] || { echo "FAIL: no digest (P=$p, io=$io)" >&2; exit 1; }
    [ -z "$first" ] && first=$digest
    [ "$digest" = "$first" ] || { echo "FAIL: order differs from the first run: $digest vs $first" >&2; exit 1; }
  done
done
echo "reader_mpi: identical order for P = 1, 2, 3 under OMPIO and ROMIO"
