#!/usr/bin/env bash
# System packages `make test` needs beyond Python: bubblewrap (the grading sandbox) and
# Chromium (the browser test). Run by `make test` (target `system`) before anything else.
# As root (as CI is): installs what is missing with apt. Otherwise: stops, printing the
# exact command to run. `make lab` needs none of them and never runs this.
set -euo pipefail
declare -A needed=([bwrap]=bubblewrap [chromium]=chromium)
missing=()
for command in "${!needed[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${needed[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
install="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages make test needs: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $install -qq
else
  echo "make test needs these system packages: ${missing[*]}" >&2
  echo "install them first:  sudo apt-get update && sudo $install" >&2
  exit 1
fi
