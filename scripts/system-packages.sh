#!/usr/bin/env bash
# The system packages the test suite needs, installed when missing (Debian/Ubuntu, as root or with
# sudo): the ODBC driver manager and the SQLite ODBC driver (the agent's ODBC read path is tested
# against the simulator's SQLite company), gettext for the translations, and chromium for the browser
# tests (Playwright drives this one; it downloads no browser of its own). `make test` and `.ci/run` both call this, so a fresh machine needs nothing else.
set -euo pipefail

packages=(unixodbc unixodbc-dev libsqliteodbc gettext chromium)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need these system packages: ${missing[*]} (install them with your package manager)." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Installing ${missing[*]} needs root (or sudo)." >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
