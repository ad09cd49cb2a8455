#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, run every test.
# Unit tests need nothing; store tests and end-to-end tests start their own
# private PostgreSQL (Debian's postgresql-15 binaries) — no server to set up.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DBATON_BUILD_TESTS=ON
cd build
# End-to-end tests are marked RUN_SERIAL: on 2 cores, timings stay honest.
# The chaos soak (label chaos) runs on its own: ctest -L chaos (README, Tests).
ctest --output-on-failure -j 2 --timeout 300 -LE chaos
