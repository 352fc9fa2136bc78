#!/usr/bin/env bash
# `vdmc prepare` and `vdmc info` as a user runs them: exit codes, one error line
# naming the file, and no output file after bad input.
# Usage (ctest): bash prepare_cli.sh /path/to/vdmc   (env VDMC_FIXTURES)
set -uo pipefail
vdmc=$1
tmp=$(mktemp -d /tmp/vdmc-prepare-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_error "what" "substring" cmd...: non-zero exit, stderr contains substring.
expect_error() {
  local what=$1 want=$2; shift 2
  if "$@" >"$tmp/out" 2>"$tmp/err"; then fail "$what: exit 0"; return; fi
  grep -qF -- "$want" "$tmp/err" || fail "$what: stderr lacks '$want': $(cat "$tmp/err")"
}

"$vdmc" prepare fashion-mnist --out "$tmp/fm" --pad32 >/dev/null || fail "prepare fashion-mnist --pad32"
"$vdmc" info "$tmp/fm/fashion-mnist-train.h5" >"$tmp/info" || fail "info exit"
grep -q "^examples    60000$" "$tmp/info" || fail "info examples: $(cat "$tmp/info")"
grep -q "H 32, W 32, C 1" "$tmp/info" || fail "info shape"
grep -q "10 of 10 classes present; per class min 6000" "$tmp/info" || fail "info histogram"
grep -q "format_version 2" "$tmp/info" || fail "info version"

"$vdmc" prepare imagenet64 --npz "$VDMC_FIXTURES/imagenet64" --out "$tmp/i64" >/dev/null || fail "prepare imagenet64"
"$vdmc" info "$tmp/i64/imagenet64-val.h5" | grep -q "H 64, W 64, C 3" || fail "imagenet64 info"

mkdir -p "$tmp/src"
cp /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz "$tmp/src/train-labels-idx1-ubyte.gz"
cp /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz "$tmp/src/train-images-idx3-ubyte.gz"
head -c 100000 /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz >"$tmp/src/train-images-idx3-ubyte.gz"
expect_error "truncated idx" "train-images-idx3-ubyte.gz: truncated" "$vdmc" prepare fashion-mnist --src "$tmp/src" --out "$tmp/bad"
[ -e "$tmp/bad/fashion-mnist-train.h5" ] || [ -e "$tmp/bad/fashion-mnist-train.h5.tmp" ] && fail "truncated idx left output"
cp /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz "$tmp/src/train-images-idx3-ubyte.gz"
expect_error "labels as images" "bad idx magic" "$vdmc" prepare fashion-mnist --src "$tmp/src" --out "$tmp/bad"
[ -n "$(ls -A "$tmp/bad" 2>/dev/null)" ] && fail "bad input left files: $(ls "$tmp/bad")"

head -c 3000 "$tmp/fm/fashion-mnist-test.h5" >"$tmp/trunc.h5"
expect_error "info truncated" "trunc.h5" "$vdmc" info "$tmp/trunc.h5"
expect_error "info missing" "No such file" "$vdmc" info "$tmp/none.h5"
expect_error "unknown source" "unknown source 'cifar'" "$vdmc" prepare cifar --out "$tmp/x"
expect_error "unknown option" "unknown option '--pad64'" "$vdmc" prepare fashion-mnist --out "$tmp/x" --pad64
expect_error "folder size" "--size 'abc'" "$vdmc" prepare folder "$tmp/src" --size abc --out "$tmp/x"
expect_error "folder without classes" "no class subfolders" "$vdmc" prepare folder "$tmp/src" --size 8 --out "$tmp/x"

[ "$fails" -eq 0 ] && echo "prepare_cli: all checks passed" || { echo "prepare_cli: $fails failed" >&2; exit 1; }
