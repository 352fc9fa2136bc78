#!/usr/bin/env bash
# PyTorch parity of exported models (docs/interop.md): tiny random-weight U-Net, U-ViT
# and U-Net with Fourier-feature inputs runs (test_export write) are exported, vdmc's denoiser outputs on fixed inputs and
# a guided 8-step DDPM sample are dumped with the noise vdmc drew (test_export denoise),
#  - with torch (/usr/bin/python3 -c 'import torch'): tests/reference/torch_parity.py builds
#    the model with python/vdmc_torch.py from the exported file and compares (denoiser and
#    DDPM within 1e-5 relative), the bf16/f16 exports equal PyTorch's own rounding, and a
#    model written back by vdmc_torch.save holds the exported tensors;
#  - always: the exported tensors equal the committed tests/fixtures/export_ARCH.safetensors
#    bitwise (the model PyTorch evaluated is the one vdmc exports now), and vdmc's outputs
#    equal PyTorch's committed ones (tests/fixtures/torch_ARCH.safetensors) within 1e-5,
#    so CI without torch still proves parity through the fixtures.
# VDMC_WRITE_FIXTURES=1 (with torch) rewrites the committed fixtures.
# Usage: bash export_torch.sh /path/to/build/vdmc
set -u
VDMC="${1:?usage: bash export_torch.sh /path/to/vdmc}"
SRC="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}"
. "$SRC/tests/common/mpirun.sh"
BIN="$(vdmc_test_bin "$VDMC" test_export)"
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
export OPENBLAS_NUM_THREADS=1
FIX="$SRC/tests/fixtures"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vdmc-export-torch-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
have_torch=0
/usr/bin/python3 -c 'import torch' 2> /dev/null && have_torch=1
[ "$have_torch" = 1 ] || echo "no torch in /usr/bin/python3: checking against the committed PyTorch fixtures only"

for arch in unet uvit unet-fourier; do
  "$BIN" write "$WORK/$arch" "$arch" || { fail "$arch: writing the tiny run"; continue; }
  "$VDMC" export "$WORK/$arch" --out "$WORK/$arch.safetensors" > /dev/null || { fail "$arch: export"; continue; }
  for dt in bf16 f16; do
    "$VDMC" export "$WORK/$arch" --out "$WORK/$arch-$dt.safetensors" --dtype $dt > /dev/null || fail "$arch: export $dt"
  done
  "$BIN" denoise "$WORK/$arch" "$WORK/vdmc_$arch.safetensors" || { fail "$arch: vdmc denoiser outputs"; continue; }
  if [ "$have_torch" = 1 ]; then
    /usr/bin/python3 "$SRC/tests/reference/torch_parity.py" "$WORK/$arch.safetensors" "$WORK/vdmc_$arch.safetensors" \
      --out "$WORK/torch_$arch.safetensors" --bf16 "$WORK/$arch-bf16.safetensors" --f16 "$WORK/$arch-f16.safetensors" \
      --resave "$WORK/resaved_$arch.safetensors" || fail "$arch: PyTorch differs from vdmc"
    # a file vdmc_torch.save wrote holds the same tensors (what vdmc import reads)
    "$BIN" compare "$WORK/resaved_$arch.safetensors" "$WORK/$arch.safetensors" 0 --all > "$WORK/cmp.log" ||
      { cat "$WORK/cmp.log"; fail "$arch: vdmc_torch.save changed the weights"; }
    if [ "${VDMC_WRITE_FIXTURES:-0}" = 1 ]; then
      cp "$WORK/$arch.safetensors" "$FIX/export_$arch.safetensors"
      cp "$WORK/torch_$arch.safetensors" "$FIX/torch_$arch.safetensors"
      echo "wrote $FIX/export_$arch.safetensors and $FIX/torch_$arch.safetensors"
    fi
  fi
  "$BIN" compare "$WORK/$arch.safetensors" "$FIX/export_$arch.safetensors" 0 --all > "$WORK/cmp.log" ||
    { cat "$WORK/cmp.log"; fail "$arch: the export differs from the committed tests/fixtures/export_$arch.safetensors"; }
  "$BIN" compare "$WORK/vdmc_$arch.safetensors" "$FIX/torch_$arch.safetensors" 1e-5 out ddpm_x ||
    fail "$arch: vdmc's outputs differ from PyTorch's committed ones"
done

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "export_torch.sh: all passed"
