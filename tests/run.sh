#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (Debian's chromium and
# postgresql, the Python packages in .venv), then runs pytest twice: on SQLite, and on a throwaway
# PostgreSQL cluster on loopback that is stopped and removed afterwards.
# Extra arguments go to pytest (e.g. ./tests/run.sh -k auth).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
dpkg -s chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s postgresql >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "needs root to install: ${missing[*]}" >&2; exit 2; fi
  echo "== installing ${missing[*]} =="
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e ".[test]" 2> >(grep -v "^WARNING: Location" >&2)

status=0
echo "== tests on SQLite =="
.venv/bin/python -m pytest "$@" || status=$?

echo "== tests on PostgreSQL =="
(
  # shellcheck source=tests/pg_throwaway.sh
  source tests/pg_throwaway.sh
  SURVEY_TEST_DATABASE_URL="$SURVEY_DATABASE_URL" .venv/bin/python -m pytest "$@"
) || status=$?

exit $status
