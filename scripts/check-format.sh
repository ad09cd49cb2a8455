#!/usr/bin/env bash
# Fails, naming the lines, when a C++ file of the tree differs from
# .clang-format (Debian's clang-format). Run by ctest as format_check (label
# lint); `clang-format -i FILE` fixes a file.
set -euo pipefail
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cc' '*.h')
else
  mapfile -t files < <(find . -path ./build -prune -o -path './build-*' -prune -o \
                         \( -name '*.cc' -o -name '*.h' \) -print)
fi
clang-format --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files match .clang-format"
