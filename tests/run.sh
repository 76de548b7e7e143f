#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (Debian's chromium,
# postgresql and a JRE for ODK Validate; the Python packages in .venv), then runs pytest twice, at
# the same time: on SQLite, and on a throwaway PostgreSQL cluster on loopback that is stopped and
# removed afterwards.
# Extra arguments go to pytest (e.g. ./tests/run.sh -k auth).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
dpkg -s chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s postgresql >/dev/null 2>&1 || missing+=(postgresql)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)  # ODK Validate, for tests/formdefs/test_corpus.py
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "needs root to install: ${missing[*]}" >&2; exit 2; fi
  echo "== installing ${missing[*]} =="
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e ".[test]" 2> >(grep -v "^WARNING: Location" >&2)
# ESLint for the scripts in static/ (tests/test_lint.py runs it), from package-lock.json.
command -v npm >/dev/null 2>&1 || { echo "needs Node.js and npm for the JavaScript lint" >&2; exit 2; }
npm ci --silent --no-audit --no-fund

# The two passes run side by side (the PostgreSQL one waits on its server much of the time); each
# writes its own log, printed whole when both are done, so their lines never mix.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
.venv/bin/python -m pytest --durations=15 "$@" > "$logs/sqlite.log" 2>&1 &
sqlite_pid=$!
(
  # shellcheck source=tests/pg_throwaway.sh
  source tests/pg_throwaway.sh
  SURVEY_TEST_DATABASE_URL="$SURVEY_DATABASE_URL" .venv/bin/python -m pytest --durations=15 "$@"
) > "$logs/postgres.log" 2>&1 &
postgres_pid=$!

status=0
wait "$sqlite_pid" || status=$?
echo "== tests on SQLite =="
cat "$logs/sqlite.log"
wait "$postgres_pid" || status=$?
echo "== tests on PostgreSQL =="
cat "$logs/postgres.log"

exit $status
