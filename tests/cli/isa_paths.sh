#!/usr/bin/env bash
# The instruction-set paths give the same training: vdmc picks its kernels from cpuid
# (gemm_small AVX-512 / AVX2+FMA / OpenBLAS, Winograd transforms at 16 / 8 lanes, the
# AVX-512 / AVX2 / SSE2 clones of the SIMD loops), so one host runs only one set.
# qemu-user emulates other CPUs on this one: 2 steps of a small U-Net (16 and 32
# channels: Winograd convs, attention, dropout) under `-cpu Haswell` (AVX2+FMA, no
# AVX-512) must give a checkpoint bit-identical to the native run (both on OpenBLAS's
# Haswell core), and under `-cpu Nehalem` (SSE4.2: SSE2 clones, OpenBLAS fallback for
# gemm_small, OpenBLAS's Nehalem core, which rounds differently) one within 1e-5.
# One step with train.precision: bf16 (round_to_bf16's clones, then the same kernels):
# Haswell bit-identical to native bf16, Nehalem within 1e-3: OpenBLAS's Nehalem core
# sums the fp32 stem (docs/precision.md, "The stem in fp32") in another order, and a
# difference of 1e-7 can flip the bf16 rounding of a later operand, moving it by up to
# 2^-9 of itself (measured 1.9e-5 after one step; 2.1e-7 when no rounding flipped). On a
# host with AVX512-BF16 the native reference runs with VDMC_BF16_KERNEL=portable (the
# emulated CPUs lack the instructions), and the native run on the vdpbf16ps kernel
# must agree with it within 1e-3 (its other sum order and Winograd's tiles rounded to
# bf16: docs/precision.md, "The AVX512-BF16 kernel"); VDMC_BF16_KERNEL=avx512 under
# -cpu Haswell is refused in one line.
# `vdmc blas` must name those paths on the emulated CPUs, and under Nehalem
# OPENBLAS_CORETYPE=Haswell is refused in one line.
set -u
source "$(dirname "$0")/../common/train_env.sh"
source "$(dirname "$0")/../common/counters.sh"
if [ "$(uname -m)" != x86_64 ]; then
  echo "isa_paths: not an x86-64 host; the x86 kernel paths do not exist here"
  finish isa_paths
  exit $?
fi
qemu=$(command -v qemu-x86_64) || { bad "qemu-x86_64 not found (Debian qemu-user, jobs/deps.sh)"; finish isa_paths; exit 1; }
if ! grep -qw avx2 /proc/cpuinfo || ! grep -qw fma /proc/cpuinfo; then
  echo "isa_paths: this host lacks AVX2+FMA, so its native run is the emulated Nehalem one's kind"
fi
small=(--set model.base_channels=16 --set model.head_channels=16 --set model.norm_groups=8
       --set run.sample_every=0)
fp32=(--set optim.steps=2 --set run.checkpoint_every=2)
extra=("${fp32[@]}")  # the steps and precision of the next runs (bf16: one step)
bf16=(--set train.precision=bf16 --set optim.steps=1 --set run.checkpoint_every=1)
run() {  # name [command prefix...]: 2 training steps, 2 threads
  local name=$1
  shift
  OPENBLAS_NUM_THREADS=2 "$@" "$vdmc" train "$tiny" --run "$work/$name" "${data_args[@]}" \
    "${small[@]}" "${extra[@]}" >"$work/$name.log" 2>&1 || { bad "$name run failed:"; grep -v TCG "$work/$name.log" | tail -3; return 1; }
}
same() {  # name tol [reference run, default native]: the run's last checkpoint against the reference
  local ckpt=checkpoints/$(cat "$work/$1/checkpoints/latest")
  if "$vdmc" compare "$work/$1/$ckpt" "$work/${3:-native}/$ckpt" --tol "$2" >"$work/$1.cmp" 2>&1; then
    ok
  else
    bad "$1 differs from the native run (tol $2):"; cat "$work/$1.cmp"
  fi
  grep worst "$work/$1.cmp" | sed "s/^/$1: /"
}

# the emulated CPUs take the paths this test is about (vdmc blas names them).
# OPENBLAS_CORETYPE unset: with a core the emulated CPU lacks vdmc would re-exec for a
# better one, and the re-exec runs natively, outside qemu.
kernels() { env -u OPENBLAS_CORETYPE "$qemu" -cpu "$1" "$vdmc" blas --seconds 0.05 2>/dev/null | grep '^vdmc kernels:'; }
kernels Haswell | grep -q 'gemm_small AVX2+FMA 6x16 kernel; Winograd transforms in 8-channel' \
  && ok || bad "-cpu Haswell does not run the AVX2 kernels: $(kernels Haswell)"
kernels Nehalem | grep -q 'gemm_small OpenBLAS sgemm; Winograd transforms in 8-channel' \
  && ok || bad "-cpu Nehalem does not run the OpenBLAS fallback: $(kernels Nehalem)"

export OPENBLAS_CORETYPE=Haswell  # the same OpenBLAS kernels natively and under -cpu Haswell
run native && run haswell "$qemu" -cpu Haswell && same haswell 0
grep -q "best for this CPU: Haswell," "$work/haswell.log" && ok || bad "the Haswell run left the emulated CPU"
extra=("${bf16[@]}")
run native_bf16 env VDMC_BF16_KERNEL=portable && run haswell_bf16 "$qemu" -cpu Haswell && same haswell_bf16 0 native_bf16
if grep -qw avx512_bf16 /proc/cpuinfo; then
  run kernel_bf16 && same kernel_bf16 1e-3 native_bf16
  grep -q "precision bf16.*AVX512-BF16 vdpbf16ps" "$work/kernel_bf16.log" && ok || bad "the native bf16 run does not name the AVX512-BF16 kernel"
  grep -q "without the AVX512-BF16 kernel" "$work/kernel_bf16.log" && bad "the bf16 run on the kernel says it will not be faster" || ok
  grep -q "precision bf16.*kernel not selected (VDMC_BF16_KERNEL=portable)" "$work/native_bf16.log" && ok || bad "the VDMC_BF16_KERNEL=portable run does not say so"
elif [ -n "${VDMC_REQUIRE_BF16_KERNEL:-}" ]; then
  bad "this host lacks avx512_bf16: the vdpbf16ps kernel's training cannot be compared, and VDMC_REQUIRE_BF16_KERNEL is set (.ci/run)"
else
  echo "isa_paths: this host lacks avx512_bf16: the vdpbf16ps kernel's training is not compared here (unit.gemm_bf16 says SKIP)"
fi
VDMC_BF16_KERNEL=avx512 "$qemu" -cpu Haswell "$vdmc" version >"$work/refuse16.out" 2>"$work/refuse16.err"
st=$?
msg=$(grep -v TCG "$work/refuse16.err")
[ $st -ne 0 ] && [ "$(echo "$msg" | wc -l)" -eq 1 ] && echo "$msg" | grep -q "VDMC_BF16_KERNEL=avx512 needs avx512_bf16, which this CPU lacks" \
  && ok || bad "VDMC_BF16_KERNEL=avx512 on Haswell: status $st, stderr: $msg"
grep -q "precision bf16.*AVX512-BF16 not present" "$work/haswell_bf16.log" && ok || bad "the Haswell bf16 run does not name its bf16 path"
grep -q "without the AVX512-BF16 kernel a bf16 step is about as fast as fp32" "$work/haswell_bf16.log" && ok \
  || bad "the Haswell bf16 run does not say that it will not be faster than fp32"
extra=("${fp32[@]}")
unset OPENBLAS_CORETYPE
run nehalem "$qemu" -cpu Nehalem && same nehalem 1e-5
grep -q "core Nehalem (best for this CPU: Nehalem)" "$work/nehalem.log" && ok \
  || bad "the Nehalem run did not stay on the emulated CPU with OpenBLAS's Nehalem core"
extra=("${bf16[@]}")
run nehalem_bf16 "$qemu" -cpu Nehalem && same nehalem_bf16 1e-3 native_bf16
extra=("${fp32[@]}")

# a core the (emulated) CPU cannot run, set by the user: one error line, exit 1
OPENBLAS_CORETYPE=Haswell "$qemu" -cpu Nehalem "$vdmc" version >"$work/refuse.out" 2>"$work/refuse.err"
st=$?
msg=$(grep -v TCG "$work/refuse.err")
[ $st -ne 0 ] && [ "$(echo "$msg" | wc -l)" -eq 1 ] && echo "$msg" | grep -q "OPENBLAS_CORETYPE=Haswell needs instructions this CPU lacks" \
  && ok || bad "OPENBLAS_CORETYPE=Haswell on Nehalem: status $st, stderr: $msg"
finish isa_paths
