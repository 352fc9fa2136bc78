#!/usr/bin/env bash
# fuzz_hdf5_internal (tests/fuzz/fuzz_lib.sh), which lets the regression stage of
# tests/run.sh pass a mutation that reached one of HDF5 1.10.8's own faults: it must
# match only a heap fault whose access and allocation (and free) stacks all start in
# libhdf5, never one with a vdmc frame or buffer, a SEGV, a leak or an UBSan report.
# The reports are trimmed copies of real ones (the first of a checkpoint_load run).
# Usage: bash fuzz_hdf5_internal.sh [vdmc] (the binary is not used)
here="$(cd "$(dirname "$0")/../.." && pwd)"
source "$here/tests/fuzz/fuzz_lib.sh"
source "$here/tests/common/counters.sh"
work=$(mktemp -d /tmp/vdmc-fuzz-hdf5-XXXXXX)
trap 'rm -rf "$work"' EXIT

bin='(/b/build-fuzz/tests/fuzz/fuzz_checkpoint_load+0x91553)'
h5='(/lib/x86_64-linux-gnu/libhdf5_openmpi.so.103+0x195bc7)'
hdf5_uaf() {  # the access stack's frame 1, the free's and the allocation's frame 1
  cat <<LOG
INFO: Seed: 1
==15653==ERROR: AddressSanitizer: heap-use-after-free on address 0x6150000306b8 at pc 0x55ede3671554
READ of size 11 at 0x6150000306b8 thread T0
    #0 0x55ede3671553 in __interceptor_memcpy $bin
    #1 0x7f4afc395bc7 $1
    #2 0x7f4afc3b9774 in H5O__msg_iterate_real $h5
    #5 0x55ede37385b0 in attr_open /b/io/checkpoint_h5.c:144:7
freed by thread T0 here:
    #0 0x55ede36d9ea2 in __interceptor_free $bin
    #1 0x7f4afc3769eb $2
previously allocated by thread T0 here:
    #0 0x55ede36da14e in malloc $bin
    #1 0x7f4afc37758f in $3
SUMMARY: AddressSanitizer: heap-use-after-free $bin in __interceptor_memcpy
LOG
}

case_() {  # NAME WANT(match|no) < LOG
  cat >"$work/$1.log"
  if fuzz_hdf5_internal "$work/$1.log"; then got=match; else got=no; fi
  [ "$got" = "$2" ] && ok || bad "$1: $got, expected $2"
}

uaf() { hdf5_uaf "$@"; }
case_ hdf5_all match < <(uaf "$h5" "$h5" "H5I_register $h5")
case_ vdmc_access no < <(uaf "in format_shape /b/io/checkpoint_load.c:40:3" "$h5" "H5I_register $h5")
case_ vdmc_free no < <(uaf "$h5" "in ckpt_free /b/io/checkpoint_h5.c:20:3" "H5I_register $h5")
case_ vdmc_allocation no < <(uaf "$h5" "$h5" "read_text /b/io/checkpoint_h5.c:99:9")
case_ overflow_hdf5 match < <(uaf "$h5" "$h5" "H5I_register $h5" | sed -e '/^freed by/d' -e '/__interceptor_free/d' \
  -e '/0x7f4afc3769eb/d' -e 's/heap-use-after-free/heap-buffer-overflow/')
case_ no_allocation_stack no < <(uaf "$h5" "$h5" "H5I_register $h5" | sed '/^previously allocated/,$d')
case_ segv no < <(uaf "$h5" "$h5" "H5I_register $h5" | sed 's/AddressSanitizer: heap-use-after-free/AddressSanitizer: SEGV/')
case_ leak no < <(printf '==1==ERROR: LeakSanitizer: detected memory leaks\n    #0 0x1 in malloc %s\n    #1 0x2 %s\n' "$bin" "$h5")
big() {  # an allocation too large, asked for by frame 1
  printf '==1==ERROR: AddressSanitizer: requested allocation size 0x67617373656d2072 exceeds maximum supported size of 0x10000000000 (thread T0)\n    #0 0x1 in malloc %s\n    #1 0x2 in %s\n    #2 0x3 in H5Fopen %s\nSUMMARY: AddressSanitizer: allocation-size-too-big\n' "$bin" "$1" "$h5"
}
# HDF5 reading the checksum record's buffer, which vdmc freed before HDF5 saw the file
# (a CI run's mutation of the checkpoint_load corpus): HDF5's wild pointer; a write there,
# or a vdmc frame doing the access, is not
record() { uaf "$1" "in file_record_verify /b/io/file_record.c:347:3" "read_record /b/io/file_record.c:289:18"; }
case_ record_buffer_read match < <(record "$h5")
case_ record_buffer_write no < <(record "$h5" | sed 's/^READ of size/WRITE of size/')
case_ record_buffer_vdmc_access no < <(record "in attr_open /b/io/checkpoint_h5.c:144:7")
case_ huge_hdf5 match < <(big "H5C_protect $h5")
case_ huge_vdmc no < <(big "read_labels /b/io/idx_file.c:50:3")
case_ ubsan no < <(printf 'io/npz.c:80:5: runtime error: signed integer overflow\n')
case_ no_report no < <(printf 'INFO: Seed: 1\nDone 200 runs in 2 second(s)\n')
finish fuzz_hdf5_internal
