#!/usr/bin/env bash
# vdmc schedule: CSV table, PNG output, and one-line errors with exit 2 on bad input.
set -u
VDMC="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

"$VDMC" schedule --schedule cosine --weighting sigmoid --bias 2 --lambda-min -20 --lambda-max 20 --csv \
  > "$tmp/cos.csv" 2> "$tmp/err"
check "csv exits 0" "[ $? -eq 0 ]"
check "csv header" "grep -qx 'lambda,t,p,w,w_over_p' '$tmp/cos.csv'"
check "401 rows" "[ \$(grep -vc '^#\|^lambda' '$tmp/cos.csv') -eq 401 ]"
# trapezoid integral of p over the grid is 1, t runs from 1 down to 0
integral=$(awk -F, '/^[-0-9]/ { if (n++) s += (p + $3) / 2 * ($1 - l); l = $1; p = $3 } END { printf "%.6f", s }' "$tmp/cos.csv")
check "integral of p = 1 (got $integral)" "awk 'BEGIN { exit !($integral > 0.9999 && $integral < 1.0001) }'"
check "t(lambda_min) = 1" "grep -q '^-20,1,' '$tmp/cos.csv'"
check "t(lambda_max) = 0" "grep -q '^20,0,' '$tmp/cos.csv'"

for s in shifted-cosine edm-training edm-sampling fm-ot linear adaptive learned; do
  "$VDMC" schedule --schedule $s --weighting edm-monotonic --resolution 128 --csv --points 11 > "$tmp/s.csv" 2> /dev/null
  check "schedule $s runs" "[ $? -eq 0 ] && [ \$(grep -c '^[-0-9]' '$tmp/s.csv') -eq 11 ]"
done

"$VDMC" schedule --schedule edm-training --weighting edm --png "$tmp/p.png"
check "png written" "[ $? -eq 0 ] && head -c 8 '$tmp/p.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"

bad() {  # name, args...: exit status 2 and exactly one line on stderr
  local name="$1"; shift
  "$VDMC" schedule "$@" > /dev/null 2> "$tmp/err"
  local rc=$?
  check "$name: exit 2 (got $rc)" "[ $rc -eq 2 ]"
  check "$name: one error line" "[ \$(wc -l < '$tmp/err') -eq 1 ] && grep -q 'vdmc schedule: ' '$tmp/err'"
}
bad "unknown schedule" --schedule cosin --csv
bad "unknown weighting" --weighting sigmod --csv
bad "bad number" --bias two --csv
bad "unknown option" --frobnicate 1 --csv
bad "empty range" --lambda-min 3 --lambda-max 3 --csv
bad "missing config file" configs/does-not-exist.yaml --csv
bad "bad name in config" --set diffusion.adaptive=false --set diffusion.schedule=cosin --csv
bad "checkpoint" --from-checkpoint x.h5 --csv
bad "no output" --schedule cosine
bad "unwritable png" --schedule cosine --png /nonexistent/dir/x.png

# the objective comes from a config file; flags override it
cat > "$tmp/c.yaml" <<'YAML'
diffusion:
  schedule: edm-training
  adaptive: false
  weighting: edm-monotonic
  lambda_min: -12
  lambda_max: 14
YAML
"$VDMC" schedule "$tmp/c.yaml" --csv --points 3 > "$tmp/c.csv" 2> "$tmp/err"
check "config file read" "[ $? -eq 0 ] && grep -q '^# schedule=edm-training weighting=edm-monotonic lambda_min=-12 lambda_max=14' '$tmp/c.csv'"
"$VDMC" schedule "$tmp/c.yaml" --weighting elbo --lambda-max 10 --csv --points 3 > "$tmp/c.csv" 2> "$tmp/err"
check "flags override the config" "grep -q '^# schedule=edm-training weighting=elbo lambda_min=-12 lambda_max=10' '$tmp/c.csv'"
sed -i 's/edm-monotonic/edm-mono/' "$tmp/c.yaml"
"$VDMC" schedule "$tmp/c.yaml" --csv > /dev/null 2> "$tmp/err"
check "bad name in a file names file:line" "grep -q 'c.yaml:4:.*unknown weighting' '$tmp/err'"
"$VDMC" schedule --csv --points 3 > "$tmp/d.csv" 2> /dev/null
check "embedded default config: adaptive schedule" "grep -q '^# schedule=adaptive' '$tmp/d.csv'"
exit $fail
