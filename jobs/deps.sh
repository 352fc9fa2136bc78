# Sourced by tests/run.sh and jobs/quickstart.sh: the Debian packages vdmc needs.
# Installs what is missing when run as root (or with passwordless sudo); otherwise
# prints the exact command and stops.
VDMC_DEBIAN_PACKAGES="cmake gcc make pkg-config libopenmpi-dev openmpi-bin libopenblas-dev \
libhdf5-openmpi-dev hdf5-tools libscalapack-openmpi-dev libyaml-dev libpng-dev zlib1g-dev \
libzip-dev libjpeg-dev libprotobuf-c-dev protobuf-c-compiler python3-protobuf dataset-fashion-mnist qemu-user slurm-wlm munge iproute2 util-linux \
clang-14 libclang-rt-14-dev"
# oneDNN, for profiling/bench_dnnl only (its bf16 matmul against vdmc's AVX512-BF16 GEMM);
# nothing else links it, and the build skips bench_dnnl without it.
VDMC_DEBIAN_PACKAGES="$VDMC_DEBIAN_PACKAGES libdnnl-dev"
# perf, for profiling/bf16_ceiling.sh only (samples of bench_step's bf16 and fp32 steps).
VDMC_DEBIAN_PACKAGES="$VDMC_DEBIAN_PACKAGES linux-perf"

vdmc_install_deps() {
  local missing=() p
  for p in $VDMC_DEBIAN_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "vdmc: installing missing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "vdmc: missing packages; run: sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
