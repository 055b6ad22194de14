#!/usr/bin/env bash
# Installs the Debian packages the tests need (Chromium for browser tests, exFAT tools for USB-style drives, openssl
# for a test certificate) when missing; as root only, otherwise it says what to install. Cheap when all are there.
set -euo pipefail
pkgs=(chromium xvfb exfatprogs exfat-fuse fuse3 rsync e2fsprogs util-linux openssl)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing packages for the tests: ${missing[*]} (install them as root: apt-get install -y ${missing[*]})" >&2
  exit 0
fi
echo "Installing ${missing[*]}…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
