#!/usr/bin/env bash
# The docs stay true to the code: every repository path, C function and vdmc flag that
# README.md and the docs name must exist.
#  - paths: `src/...`, `io/...`, `mpi/...`, `tests/...`, `jobs/...`, `profiling/...`,
#    `configs/...`, `docs/...`, `python/...` (brace lists like sampler.{h,c} expanded;
#    tokens with an upper-case placeholder such as NAME or a * must match something);
#  - functions: a backticked `name(` must be defined or declared in the C sources;
#  - flags: a `--flag` after `vdmc VERB` on a line must appear in the sources of the
#    commands or the job scripts (or be a diffusion key, as vdmc schedule's flags are);
#  - README.md lists every docs/*.md;
#  - nothing points outside the repository (../shared, the founding brief's files).
set -u
src="${VDMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$src" || exit 1
source tests/common/counters.sh
docs=(README.md docs/*.md src/ops/README.md configs/README.md)

# path tokens -> existence
exists() {  # a path token, maybe with {a,b} lists, placeholders or *
  local t=$1 x
  t=${t%[.,:;)]}
  if [[ $t == *"{"*"}"* ]]; then
    for x in $(eval "echo $t"); do exists "$x" || return 1; done
    return 0
  fi
  if [[ $t =~ [A-Z]{2,} ]] || [[ $t == *"*"* ]]; then  # a pattern: at least one match
    local re=${t//./\\.}
    re=$(sed -E 's/[A-Z]{2,}[A-Za-z_]*/[^\/]*/g; s/\*/[^\/]*/g' <<<"$re")
    git ls-files | grep -qE "^$re\$" && return 0
    find "$(dirname "${t%%[A-Z][A-Z]*}")" -maxdepth 1 2>/dev/null | sed 's|^\./||' | grep -qE "^$re\$"
    return
  fi
  [ -e "$t" ] || [ -e "$t.c" ] || [ -e "$t.sh" ]  # profiling/report: the program built from report.c
}
for f in "${docs[@]}"; do
  while read -r tok; do
    if exists "$tok"; then ok; else bad "$f names $tok, which does not exist"; fi
  done < <(grep -oE '(^|[^-A-Za-z0-9_/.])(src|io|mpi|tests|jobs|profiling|configs|docs|python)/[A-Za-z0-9_./{},*-]*[A-Za-z0-9_}*]' "$f" \
             | sed -E 's|^[^a-z]||' | sort -u)
done

# backticked function calls -> a definition or declaration in the C sources
c_sources=$(git ls-files '*.c' '*.h')
for f in "${docs[@]}"; do
  while read -r fn; do
    # shellcheck disable=SC2086
    if grep -qE "\b$fn\(" $c_sources; then ok; else bad "$f names $fn(), which no C source defines"; fi
  done < <(grep -oE '`[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]\([A-Za-z0-9_&*), "]' "$f" | sed -E 's/^`//; s/\(.*//' | sort -u)
done

# vdmc flags -> the commands' sources
cli_sources=$(git ls-files 'src/cli/*.c' 'src/sample/*.c' 'src/config/*.c' 'jobs/*' 'profiling/*.sh')
for f in "${docs[@]}"; do
  while read -r flag; do
    # shellcheck disable=SC2086
    key=$(tr - _ <<<"${flag#--}")  # vdmc schedule takes diffusion keys as flags
    if grep -qF -- "\"$flag" $cli_sources || grep -qF -- "$flag" jobs/* || grep -qF "\"$key\"" src/config/config_schema.c src/diffusion/*.c; then
      ok
    else
      bad "$f shows vdmc with $flag, which no command accepts"; fi
  done < <(grep -oE '\bvdmc [a-z-]+ .*' "$f" | grep -oE ' --[a-z][a-z0-9-]*' | tr -d ' ' | sort -u)
done

# README lists every doc
for d in docs/*.md; do
  grep -qF "$(basename "$d")" README.md && ok || bad "README.md does not list $d"
done

# nothing outside the repository
if git grep -nE '\.\./shared|DESIGN\.md|STYLE\.md|DESIGN principle|seeds/' -- . ':!tests/cli/docs_refs.sh' >"${TMPDIR:-/tmp}/docs_refs.$$" 2>&1; then
  bad "references outside the repository:"; cat "${TMPDIR:-/tmp}/docs_refs.$$"
else
  ok
fi
rm -f "${TMPDIR:-/tmp}/docs_refs.$$"
finish docs_refs
