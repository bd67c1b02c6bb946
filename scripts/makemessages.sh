#!/usr/bin/env bash
# Refresh the Chinese catalogues owned by the foundation: the root catalogue (locale/, for
# templates/ and dibao/) and the per-app catalogues of accounts, audit and jobs.
# Strings in an app with its own locale/ directory land in that directory.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python manage.py makemessages -l zh_Hans --no-obsolete \
  --ignore=.venv --ignore=var --ignore=tests --ignore=static --ignore=scripts --ignore=benchmarks \
  --ignore=households --ignore=cases --ignore=poverty_registry --ignore=overlaps --ignore=reports
