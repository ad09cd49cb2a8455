#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, run every test.
# Unit tests need nothing; store tests and end-to-end tests start their own
# private PostgreSQL (Debian's postgresql-15 binaries) — no server to set up.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DBATON_BUILD_TESTS=ON
cd build
# End-to-end tests and the chaos soak (3 minutes of faults by default;
# BATON_CHAOS_MINUTES for longer) are RUN_SERIAL: on 2 cores, timings stay honest.
ctest --output-on-failure -j 2 --timeout 300
