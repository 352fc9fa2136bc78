#!/usr/bin/env bash
# Long runs as a dependency chain of N jobs (each resumes where the last stopped):
#   jobs/chain.sh N CONFIG RUN_DIR [sbatch options ...] -- [vdmc train options ...]
# Job k+1 starts after job k ends for any reason (afterany), so a crash does not
# break the chain; a job that finds the run complete exits at once.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: jobs/chain.sh N CONFIG RUN_DIR [sbatch options] [-- train options]" >&2; exit 2; }
n=$1 config=$2 run=$3
shift 3
sb=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do sb+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
here=$(cd "$(dirname "$0")" && pwd)
dep=()
for k in $(seq 1 "$n"); do
  id=$(sbatch --parsable "${sb[@]}" "${dep[@]}" "$here/train.sbatch" "$config" "$run" "$@")
  echo "chain: job $k/$n = $id"
  dep=(--dependency=afterany:"${id%%;*}")
done
