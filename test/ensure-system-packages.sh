#!/usr/bin/env bash
# Installs the Debian packages the tests need (Chromium for browser tests, exFAT tools for USB-style drives, openssl
# for a test certificate, WebDAV clients and peers for the share's tests and bench, libfuse and Samba for the mount
# and the SMB share) when missing; as root only, otherwise it says what to install. Cheap when all are there.
set -euo pipefail
pkgs=(chromium xvfb exfatprogs exfat-fuse fuse3 rsync e2fsprogs util-linux openssl
  # the WebDAV share: conformance suite, real clients (rclone, cadaver, gio/gvfs under a D-Bus session, davfs2), and
  # Apache mod_dav as the peer of bench scenario 8 (whose --quick smoke test runs in npm test)
  litmus rclone cadaver davfs2 libglib2.0-bin gvfs gvfs-backends dbus apache2
  # the FUSE mount and the SMB share: libfuse (and pkg-config) to build @cocalc/fuse-native at npm ci, Samba and its
  # client, and the programs the mount's tests run on it; mergerfs, the peer of bench scenario 9
  libfuse-dev libfuse2 pkg-config samba smbclient sqlite3 git mergerfs)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing packages for the tests: ${missing[*]} (install them as root: apt-get install -y ${missing[*]})" >&2
  exit 0
fi
echo "Installing ${missing[*]}…"
export DEBIAN_FRONTEND=noninteractive
# Installing apache2 (or samba, davfs2, dbus) must not start a system service: the tests start their own, on their own ports.
# policy-rc.d answering 101 is Debian's way to say so; put one in place only for this install, if none is there.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; made_policy=1; fi
trap 'if [ -n "$made_policy" ]; then rm -f "$policy"; fi' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
