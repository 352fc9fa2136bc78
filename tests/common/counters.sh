# Sourced by tests/cli scripts: pass/fail counters and the closing line that ctest's
# output and CI read ("NAME: N passed, M failed"); the script's exit status follows.
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() {  # NAME
  echo "$1: $pass passed, $fail failed"
  [ $fail -eq 0 ]
}
