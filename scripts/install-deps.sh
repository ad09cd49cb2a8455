#!/usr/bin/env bash
# Installs the Debian 12 packages in deps/debian-packages.txt that are missing,
# then records the exact version of every one of them in deps/debian-packages.lock
# (Baton's counterpart of a frozen requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t packages < <(grep -v '^\s*#' deps/debian-packages.txt | grep -v '^\s*$')

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
else
  echo "install-deps: all ${#packages[@]} packages already installed"
fi

lock=deps/debian-packages.lock
{
  echo "# Exact versions installed by scripts/install-deps.sh on $(. /etc/os-release; echo "$PRETTY_NAME")."
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Package}=${Version}\n' "$p"
  done
} > "$lock.tmp"
if [ -f "$lock" ] && ! diff -q <(grep -v '^#' "$lock") <(grep -v '^#' "$lock.tmp") >/dev/null; then
  echo "install-deps: versions differ from the recorded lock:"
  diff <(grep -v '^#' "$lock") <(grep -v '^#' "$lock.tmp") || true
fi
mv "$lock.tmp" "$lock"
