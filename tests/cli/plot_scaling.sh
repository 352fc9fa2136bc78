#!/usr/bin/env bash
# profiling/plot_scaling: cluster_scaling.sh's points become two PNGs per config (over
# the link rate, over the node count) and a line naming each colour; every field of a
# POINT line is checked: a bad one is one line naming file:line, exit 1, no PNG.
set -u
source "$(dirname "$0")/../common/counters.sh"
plot="$(dirname "$1")/profiling/plot_scaling"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
png() { head -c 8 "$1" 2>/dev/null | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'; }

{
  echo "== a header line, ignored"
  for c in small wide; do
    for g in 6.5 10 1 0.2; do
      echo "POINT config=$c link_gbit=$g P=1 efficiency=1 predicted=1"
      echo "POINT config=$c link_gbit=$g P=2 efficiency=0.9 predicted=0.95"
      echo "POINT config=$c link_gbit=$g P=3 efficiency=0.5 predicted=0.8"
    done
  done
} >"$work/points.txt"
mkdir "$work/out"
"$plot" "$work/points.txt" "$work/out" >"$work/log" 2>&1 && ok || { bad "valid points refused"; cat "$work/log"; }
for c in small wide; do
  for k in bandwidth nodes; do png "$work/out/efficiency_${k}_$c.png" && ok || bad "no PNG efficiency_${k}_$c.png"; done
done
grep -q "efficiency_bandwidth_small.png (efficiency over Gb/s, log2 axis: blue measured P=2, orange predicted P=2, green measured P=3" \
  "$work/log" && ok || bad "no colour legend line: $(head -1 "$work/log")"

n=0
while IFS= read -r line; do
  n=$((n + 1))
  printf 'POINT config=a link_gbit=1 P=1 efficiency=1 predicted=1\n%s\n' "$line" >"$work/bad$n.txt"
  mkdir "$work/bad$n"
  "$plot" "$work/bad$n.txt" "$work/bad$n" >"$work/bad$n.log" 2>&1 && bad "accepted: $line" || {
    [ "$(wc -l <"$work/bad$n.log")" = 1 ] && grep -q "^plot_scaling: $work/bad$n.txt:2: expected 'POINT config=NAME" "$work/bad$n.log" &&
      ok || { bad "not one file:line error for: $line"; cat "$work/bad$n.log"; }; }
  [ -z "$(ls "$work/bad$n")" ] && ok || bad "a PNG written despite: $line"
done <<'LINES'
POINT config=a link_gbit=-1 P=2 efficiency=1 predicted=1
POINT config=a link_gbit=nan P=2 efficiency=1 predicted=1
POINT config=a link_gbit=1 P=2.5 efficiency=1 predicted=1
POINT config=a link_gbit=1 P=0 efficiency=1 predicted=1
POINT config=a link_gbit=1 P=2 efficiency=3 predicted=1
POINT config=a link_gbit=1 P=2 efficiency=0.5 predicted=inf
POINT config=a link_gbit=1 P=2 efficiency=0.5
POINT config=a link_gbit=1 P=2 efficiency=0.5 predicted=0.5 extra=1
POINT config=a/b link_gbit=1 P=2 efficiency=0.5 predicted=0.5
POINT config=a link_gbit=1x P=2 efficiency=0.5 predicted=0.5
POINT link_gbit=1 config=a P=2 efficiency=0.5 predicted=0.5
POINT config=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa link_gbit=1 P=2 efficiency=0.5 predicted=0.5
LINES
echo "no points here" >"$work/empty.txt"
"$plot" "$work/empty.txt" "$work/out" >"$work/empty.log" 2>&1 && bad "a file without points accepted" ||
  { grep -q "empty.txt: no POINT lines" "$work/empty.log" && ok || bad "no 'no POINT lines' line"; }
"$plot" "$work/missing.txt" "$work/out" >"$work/missing.log" 2>&1 && bad "a missing file accepted" ||
  { grep -q "missing.txt: cannot open" "$work/missing.log" && ok || bad "no 'cannot open' line"; }
"$plot" "$work/points.txt" "$work/nodir" >"$work/nodir.log" 2>&1 && bad "a missing output directory accepted" ||
  { [ "$(wc -l <"$work/nodir.log")" = 1 ] && grep -q nodir "$work/nodir.log" && ok || { bad "no one-line error for a missing directory"; cat "$work/nodir.log"; }; }
finish plot_scaling
