#!/usr/bin/env bash
# vdmc sample on a tiny random-weight checkpoint (written by test_ckpt_model):
#  1. every sampler (the DPM-Solver++ ones default to 20 steps), with guidance, at 1 and 2 ranks: the /images and /labels of the
#     HDF5 outputs (written collectively) are identical byte for byte (N = 5 with --batch 2 gives the same
#     batches at P = 1 and 2: [0,1] [2,3] [4]), the PNG grid exists, vdmc info reads it;
#  2. the class and the seed change the samples;
#  3. bad input: one error line on stderr, a non-zero exit, no crash.
# Usage: bash sample.sh /path/to/build/vdmc
. "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/tiny_run_env.sh" "$@"

# the datasets' contents, without the file name
dump() { h5dump -d /images -d /labels "$1" | tail -n +2; }

for args in "--sampler edm --steps 4 --guidance 1.5" "--sampler ddpm --steps 6" "--sampler ode --steps 3 --guidance 2" \
  "--sampler dpmpp-2m --steps 5 --guidance 1" "--sampler dpmpp-3m-sde --steps 6"; do
  for p in 1 2; do
    # shellcheck disable=SC2086
    if ! vdmc_mpirun "$p" "$VDMC" sample "$WORK/run" --n 5 --batch 2 $args --seed 3 --h5 "$WORK/p$p.h5" \
      --out "$WORK/p$p.png" > "$WORK/s$p.log" 2>&1; then
      cat "$WORK/s$p.log"
      fail "sample $args at P=$p"
    fi
  done
  grep -h "img/s" "$WORK/s1.log" "$WORK/s2.log"
  if [ "$(dump "$WORK/p1.h5")" != "$(dump "$WORK/p2.h5")" ]; then fail "$args: P=1 and P=2 samples differ"; fi
  [ -s "$WORK/p1.png" ] && [ -s "$WORK/p2.png" ] || fail "$args: no PNG grid"
  cmp -s "$WORK/p1.png" "$WORK/p2.png" || fail "$args: P=1 and P=2 grids differ"
done
# DPM-Solver++ defaults to 20 evaluations
"$VDMC" sample "$WORK/run" --n 2 --sampler dpmpp-2m --h5 "$WORK/dpm.h5" > "$WORK/dpm.log" 2>&1 || fail "dpmpp-2m default steps"
grep -q "sampler dpmpp-2m, schedule default, 20 steps" "$WORK/dpm.log" || { cat "$WORK/dpm.log"; fail "dpmpp-2m: not 20 steps by default"; }
"$VDMC" info "$WORK/p1.h5" > "$WORK/info.log" 2>&1 || { cat "$WORK/info.log"; fail "vdmc info of the samples"; }
grep -q "5" "$WORK/info.log" || fail "vdmc info does not show 5 samples"
h5dump -d /labels "$WORK/p1.h5" | grep -q "(0): 0, 1, 2, 0, 1$" || fail "labels are not i mod K"

# fewer samples than ranks: rank 1 has none and joins the collective write empty
vdmc_mpirun 2 "$VDMC" sample "$WORK/run" --n 1 --steps 2 --h5 "$WORK/one.h5" --out "$WORK/one.png" > "$WORK/one.log" 2>&1 ||
  { cat "$WORK/one.log"; fail "--n 1 at P=2"; }
h5dump -d /labels "$WORK/one.h5" | grep -q "(0): 0$" || fail "--n 1 at P=2: labels"

# other sampling schedules (the run's adaptive one: its bins are uneven) run and differ
for sc in shifted-cosine adaptive; do
  "$VDMC" sample "$WORK/run" --n 2 --steps 3 --sampler ddpm --schedule $sc --h5 "$WORK/$sc.h5" > /dev/null 2>&1 ||
    fail "--schedule $sc"
done
[ "$(dump "$WORK/shifted-cosine.h5")" != "$(dump "$WORK/adaptive.h5")" ] || fail "--schedule has no effect"

# the class and the seed matter
s() { "$VDMC" sample "$WORK/run" --n 2 --steps 3 --sampler ddpm --h5 "$WORK/$1.h5" "${@:2}" > /dev/null 2>&1 || fail "sample $*"; }
s c0 --class 0; s c1 --class 1; s c0b --class 0 --seed 9
[ "$(h5dump -d /images "$WORK/c0.h5" | tail -n +2)" != "$(h5dump -d /images "$WORK/c1.h5" | tail -n +2)" ] || fail "--class does not change the samples"
[ "$(dump "$WORK/c0.h5")" != "$(dump "$WORK/c0b.h5")" ] || fail "--seed does not change the samples"

# bad input: expected message | arguments
check_error_cases sample <<EOF
No such file|"$WORK/nope" --n 2 --out "$WORK/x.png"
unconditional|"$WORK/uncond" --n 2 --guidance 2 --out "$WORK/x.png"
outside [0, 3)|"$WORK/run" --n 2 --class 3 --out "$WORK/x.png"
unknown sampler 'heun'|"$WORK/run" --n 2 --sampler heun --out "$WORK/x.png"
--n: 0 is outside|"$WORK/run" --n 0 --out "$WORK/x.png"
--n: 'many' is not an integer|"$WORK/run" --n many --out "$WORK/x.png"
--n N is required|"$WORK/run" --out "$WORK/x.png"
--out FILE.png and/or --h5|"$WORK/run" --n 2
--steps: 0 is outside|"$WORK/run" --n 2 --steps 0 --out "$WORK/x.png"
--guidance: -1 is outside|"$WORK/run" --n 2 --guidance -1 --out "$WORK/x.png"
unknown option '--temperature'|"$WORK/run" --n 2 --temperature 2 --out "$WORK/x.png"
no checksum record at byte 0|"$WORK/p1.png" --n 2 --out "$WORK/x.png"
--schedule: unknown schedule 'bogus'|"$WORK/run" --n 2 --schedule bogus --out "$WORK/x.png"
--schedule learned: the run was not trained|"$WORK/run" --n 2 --schedule learned --out "$WORK/x.png"
nodir: No such file or directory|"$WORK/run" --n 2 --steps 2 --h5 "$WORK/nodir/x.h5"
EOF
[ ! -e "$WORK/x.png" ] || fail "a failed run left $WORK/x.png"

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "sample.sh: all passed"
