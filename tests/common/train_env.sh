# Sourced by tests that train: a scratch directory with the prepared Fashion-MNIST
# files (vdmc prepare, from Debian's dataset-fashion-mnist) and the tiny config.
# Sets: vdmc (the binary), work (scratch dir, removed on exit), tiny (config path),
# data_args (the --set overrides pointing data.* at the prepared files), failures and
# fail() (count a failure with its message).
vdmc=$1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tiny="${VDMC_SOURCE_DIR:-$(dirname "${BASH_SOURCE[0]}")/../..}/tests/configs/tiny.yaml"
"$vdmc" prepare fashion-mnist --out "$work/data" >/dev/null || { echo "FAIL: vdmc prepare fashion-mnist"; exit 1; }
data_args=(--set "data.train=$work/data/fashion-mnist-train.h5" --set "data.test=$work/data/fashion-mnist-test.h5")
