#!/usr/bin/env bash
# Configures and builds Baton into build/ (Release with debug info, Ninja,
# ccache when present). Extra arguments go to CMake, e.g. -DBATON_BUILD_TESTS=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${BATON_BUILD_JOBS:-2}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
ninja -C build -j "$jobs"
