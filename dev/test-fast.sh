#!/bin/sh
# npm test: after the lint, the type-check and the fast tests side by side. On 2 cores the type-check's
# CPU fits into the time vitest spends waiting on PostgreSQL and child processes (cold: 60 s one after
# the other). Fails when either fails; arguments go to vitest.
set -u
npm run -s typecheck &
typecheck=$!
vitest run --exclude 'tests/end-to-end/**' --exclude 'tests/browser/**' "$@"
tests=$?
wait "$typecheck"
checked=$?
[ "$checked" -eq 0 ] || echo "npm test: the type-check failed (npm run typecheck)" >&2
[ "$tests" -eq 0 ] && [ "$checked" -eq 0 ]
