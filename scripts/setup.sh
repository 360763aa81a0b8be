#!/usr/bin/env bash
# Installs the system packages the build and the C/C++ tests need (Debian/Ubuntu):
# a C/C++ compiler, pkg-config and jsoncpp (the seed's example code parses JSON with it).
# Safe to run again: it installs only what is missing.
set -euo pipefail

missing=()
command -v gcc >/dev/null || missing+=(gcc)
command -v g++ >/dev/null || missing+=(g++)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v nm >/dev/null || missing+=(binutils)
if ! pkg-config --exists jsoncpp 2>/dev/null; then missing+=(libjsoncpp-dev); fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
