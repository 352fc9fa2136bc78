#!/usr/bin/env bash
# vdmc blas and the start-up core selection: report, self-check, bad input,
# a user OPENBLAS_CORETYPE the CPU cannot run, and the re-exec path (via an
# LD_PRELOAD shim that makes OpenBLAS look like it picked Prescott).
set -u
VDMC=$1
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() {  # check NAME CONDITION-EXIT-STATUS
  if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

env -u OPENBLAS_CORETYPE "$VDMC" blas --seconds 0.05 --size 128 >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
check "vdmc blas exits 0" $rc
grep -q '^self-check: *passed' "$tmp/out"; check "self-check passed" $?
grep -Eq '^vdmc kernels: *gemm_small (AVX-512 8x32 kernel|AVX2\+FMA 6x16 kernel|OpenBLAS sgemm); Winograd transforms in (8|16)-channel groups$' "$tmp/out"
check "vdmc kernels line" $?
# the bf16 path names itself, and says AVX512-BF16 exactly when /proc/cpuinfo has it
# and its GEMM rate where it has the kernel
if grep -qw avx512_bf16 /proc/cpuinfo; then
  grep -qF "bf16:              AVX512-BF16 vdpbf16ps 8x32 kernel" "$tmp/out"
  check "bf16 line" $?
  grep -Eq '^bf16 GEMM: +[0-9.]+ GFLOP/s .* = [0-9.]+ x sgemm$' "$tmp/out"; check "bf16 GEMM figure printed" $?
else
  grep -qF "bf16:              portable (round + fp32 FMA); AVX512-BF16 not present" "$tmp/out"
  check "bf16 line" $?
  grep -qF "bf16 GEMM:         no bf16 kernel in use" "$tmp/out"; check "no bf16 GEMM figure" $?
fi
grep -q '^sgemm: .*GFLOP/s' "$tmp/out"; check "sgemm figure printed" $?
loaded=$(sed -n 's/^loaded core: *//p' "$tmp/out")
best=$(sed -n 's/^best core: *//p' "$tmp/out")

"$VDMC" blas --seconds nope >"$tmp/bad" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "seconds 'nope'" "$tmp/bad"; check "bad option value: exit 2 + message" $?

# A core this CPU cannot run must be refused before any BLAS call (no SIGILL).
flags=$(grep -m1 '^flags' /proc/cpuinfo)
unsupported=
if ! grep -qw avx512f <<<"$flags"; then unsupported=SkylakeX
elif ! grep -qw avx512_bf16 <<<"$flags"; then unsupported=Cooperlake; fi
if [ -n "$unsupported" ]; then
  OPENBLAS_CORETYPE=$unsupported "$VDMC" version >"$tmp/unsup" 2>&1
  rc=$?
  cat "$tmp/unsup"
  [ $rc -ne 0 ] && grep -q "OPENBLAS_CORETYPE=$unsupported needs instructions" "$tmp/unsup"
  check "unsupported OPENBLAS_CORETYPE=$unsupported refused" $?
else
  echo "skip unsupported-core check: this CPU runs every core OpenBLAS 0.3.21 knows"
fi

# A weaker core set by the user is respected.
OPENBLAS_CORETYPE=Prescott "$VDMC" blas --seconds 0.05 --size 64 >"$tmp/user" 2>&1
grep -q '^loaded core: *Prescott' "$tmp/user" && grep -q 'set by the user' "$tmp/user"
check "user OPENBLAS_CORETYPE respected" $?

# Re-exec path: the shim reports Prescott until OPENBLAS_CORETYPE is set.
cc -shared -fPIC -o "$tmp/shim.so" "$VDMC_SOURCE_DIR/tests/cli/blas_corename_shim.c" -ldl
check "shim builds" $?
if [ "$best" != "Prescott" ]; then
  env -u OPENBLAS_CORETYPE LD_PRELOAD="$tmp/shim.so" "$VDMC" blas --seconds 0.05 --size 64 >"$tmp/re" 2>&1
  rc=$?
  cat "$tmp/re"
  [ $rc -eq 0 ] && grep -q '^core before exec: *Prescott' "$tmp/re" &&
    grep -q "^loaded core: *$best\$" "$tmp/re" && grep -q "^OPENBLAS_CORETYPE: $best (set by vdmc" "$tmp/re"
  check "re-exec from Prescott to $best" $?
  env -u OPENBLAS_CORETYPE SHIM_ALWAYS=1 LD_PRELOAD="$tmp/shim.so" timeout 20 "$VDMC" blas --seconds 0.05 --size 64 >"$tmp/loop" 2>&1
  rc=$?
  [ $rc -eq 0 ] && grep -q 'already re-executed once' "$tmp/loop"
  check "re-exec at most once" $?
fi
# A wrong sgemm must stop every command with a clear error.
SHIM_BAD_SGEMM=1 LD_PRELOAD="$tmp/shim.so" "$VDMC" version >"$tmp/bad_gemm" 2>&1
rc=$?
cat "$tmp/bad_gemm"
[ $rc -ne 0 ] && grep -q 'BLAS self-check failed' "$tmp/bad_gemm"
check "wrong sgemm detected by the self-check" $?
echo "loaded=$loaded best=$best"
exit $fail
