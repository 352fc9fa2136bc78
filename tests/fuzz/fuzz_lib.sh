# Sourced by tests/run.sh (the regression stage) and profiling/fuzz.sh (long runs):
# building the libFuzzer targets of tests/fuzz and running one. Needs $here (the
# source tree).
fuzz_src="$here/tests/fuzz"

# Prints the clang that has libFuzzer's runtime (Debian: clang-14, libclang-rt-14-dev);
# fails when there is none.
fuzz_compiler() {
  local cc
  for cc in clang-14 clang; do
    command -v "$cc" >/dev/null && [ -f "$("$cc" -print-file-name=libclang_rt.fuzzer-x86_64.a)" ] \
      && { echo "$cc"; return 0; }
  done
  return 1
}

# fuzz_build DIR CC: configures (-DVDMC_FUZZ=ON) and builds every target in DIR.
fuzz_build() {
  local dir=$1 cc=$2
  CC=$cc cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVDMC_FUZZ=ON >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j 2 >"$dir.build.log" 2>&1 || { tail -30 "$dir.build.log"; return 1; }
}

# The target names: tests/fuzz/fuzz_NAME.c -> NAME.
fuzz_targets() {
  local f
  for f in "$fuzz_src"/fuzz_*.c; do f=${f##*/fuzz_}; echo "${f%.c}"; done
}

# The dictionary of a target, if it has one: the HDF5 readers share one.
fuzz_dict() {
  case $1 in
    dataset | checkpoint_*) echo "$fuzz_src/dict/hdf5.dict" ;;
    *) if [ -f "$fuzz_src/dict/$1.dict" ]; then echo "$fuzz_src/dict/$1.dict"; fi ;;
  esac
}

# fuzz_run DIR NAME WORK [LIBFUZZER_ARGS...]: runs target NAME of build DIR over its
# committed corpus. New inputs and crash files go to WORK (the committed corpus is
# only read). Leak checks skip what Open MPI and HDF5 keep (lsan.supp); undefined
# behaviour already aborts (VDMC_FUZZ). Returns the fuzzer's exit code.
fuzz_run() {
  local dir=$1 name=$2 work=$3 dict
  shift 3
  mkdir -p "$work/corpus"
  touch "$work/.started"  # findings are the crash files newer than this
  dict=$(fuzz_dict "$name")
  LSAN_OPTIONS="suppressions=$fuzz_src/lsan.supp:print_suppressions=0" \
    "$dir/tests/fuzz/fuzz_$name" ${dict:+-dict="$dict"} -artifact_prefix="$work/" -print_final_stats=1 "$@" \
    "$work/corpus" "$fuzz_src/corpus/$name"
}

# One line from a fuzz_run log (plain or -fork mode): executions, exec/s (of the last
# status line), coverage (cov: edges of vdmc's own code, which alone is instrumented;
# ft: features), corpus entries, and the crash, leak, oom and timeout files of the run.
fuzz_summary() {
  local log=$1 work=$2 last found
  # -fork status lines ("#N: cov: ...") when there are, not the inner logs it copies
  last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
  [ -n "$last" ] || last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  found=$(find "$work" -maxdepth 1 -type f -newer "$work/.started" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' -o -name 'timeout-*' \) | wc -l)
  echo "$(grep -oE '^#[0-9]+' <<<"$last" | tr -d '#') runs, $(grep -oE 'exec/s:? [0-9]+' <<<"$last" | grep -oE '[0-9]+') exec/s," \
    "$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' <<<"$last"), findings $found"
}

# fuzz_hdf5_internal LOG: succeeds when the first sanitizer report in LOG is a memory
# fault inside HDF5 itself: an AddressSanitizer heap error whose faulting access and
# whose allocation (and free, for a use after free) were all made by libhdf5, the first
# frame after the sanitizer's own interceptor in each stack; or an allocation too large
# for the allocator (the size read from the file) asked for by libhdf5. A READ by libhdf5 of
# the checksum record's own buffer (allocated and freed in io/file_record.c, before HDF5
# opens the file, and never given to HDF5) is HDF5's wild pointer too. Those are HDF5 1.10.8's
# bugs that only a file with a valid checksum record reaches (docs/reliability.md,
# "What remains possible"). A fault in a buffer vdmc allocated, or any other report
# (SEGV, leak, UBSan, a vdmc frame first), does not match.
fuzz_hdf5_internal() {
  awk '
    /^==[0-9]+==ERROR: AddressSanitizer: (heap-buffer-overflow|heap-use-after-free|memcpy-param-overlap|negative-size-param)/ {
      inside = 1; ok = 1; want = 1; next }
    /^READ of size/ { read = 1 }
    /^==[0-9]+==ERROR: AddressSanitizer: (requested allocation size|allocator is out of memory)/ {
      inside = 1; ok = 1; want = 1; allocated = 1; next }
    !inside { next }
    /^SUMMARY:/ { exit }
    /^(previously allocated|allocated) by thread/ { want = 1; allocated = 1; next }
    /^freed by thread/ { want = 1; freed = 1; next }
    want && /^    #[0-9]+ / {
      if ($0 ~ /__interceptor_|in (malloc|calloc|realloc|free) /) next
      want = 0; record_block = allocated_frame + allocated > 0 || freed
      allocated_frame += allocated; allocated = 0
      if ($0 !~ /libhdf5/ && !(read && record_block && $0 ~ /\/io\/file_record\.c:/)) ok = 0
    }
    END { exit !(inside && allocated_frame && ok) }' "$1"
}
