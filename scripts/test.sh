#!/usr/bin/env bash
# The test command (`npm test`). node:test on Node 20 silently runs zero .ts files when given a
# folder, so the file list is expanded here; and a run that executed no test fails.
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."

files=()
# The gateway, its tests, the packages (the typed client) and the example apps.
# Longest first (faults, Chromium, several processes, all unit tests in one process, then the other
# socket tests): files run side by side in this order, so a long file started last would leave the
# other lanes idle at the end. The unit tests under src/, packages/ and examples/ run together in
# one process (test/unit-suite.ts): a process per file spent half their time loading modules.
for file in test/faults/**/*.test.ts test/browser/guide-whole.test.ts test/browser/**/*.test.ts \
  test/**/*process*.test.ts test/scale-out*.test.ts test/unit-suite.ts test/**/*.int.test.ts test/**/*.test.ts; do
  [[ " ${files[*]-} " == *" $file "* ]] || files+=("$file")
done
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  # The whole suite also type-checks: tsx runs TypeScript without checking types.
  echo "typecheck: tsc --noEmit"
  npx tsc --noEmit
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "test: no test files found" >&2
  exit 1
fi

mkdir -p test-artifacts
# One results file per run, so two runs in one tree cannot read each other's counts.
tap=$(mktemp "${TMPDIR:-/tmp}/chartside-tests.XXXXXX.tap")
trap 'cp "$tap" test-artifacts/test-results.tap 2>/dev/null; rm -f "$tap"' EXIT
status=0
# A test that hangs fails after 10 minutes (the longest, `npm run test:faults`, takes about 5).
# (Not --test-force-exit: it ends the run before the TAP file below has its summary.)
# Files run side by side: most of a test's time is spent waiting (sockets, child processes, the
# database, Chromium), so more files than cores keep the machine busy.
concurrency="${TEST_CONCURRENCY:-3}"
node --import tsx --test --test-concurrency="$concurrency" --test-timeout=600000 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}" || status=$?

# `|| true`: a TAP file without a summary must reach the "no test ran" check, not end set -e here.
ran=$(grep -E '^# tests [0-9]+' "$tap" | tail -n 1 | awk '{print $3}' || true)
passed=$(grep -E '^# pass [0-9]+' "$tap" | tail -n 1 | awk '{print $3}' || true)
failed=$(grep -E '^# fail [0-9]+' "$tap" | tail -n 1 | awk '{print $3}' || true)
cancelled=$(grep -E '^# cancelled [0-9]+' "$tap" | tail -n 1 | awk '{print $3}' || true)
echo "${passed:-0} passed, ${failed:-0} failed, ${cancelled:-0} cancelled"
if [ "${ran:-0}" -eq 0 ]; then
  echo "test: no test ran" >&2
  exit 1
fi
exit "$status"
