#!/usr/bin/env bash
# Installs the system packages the tests need when they are missing:
#   Fashion-MNIST  Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)
#   Chromium       Debian's chromium (/usr/bin/chromium), driven by Playwright in tests/browser
# As root it installs them with apt-get; otherwise it says how and leaves the decision to the
# tests (which skip locally, and fail under CI=true).
set -euo pipefail

missing=()
[ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] || missing+=(dataset-fashion-mnist)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: Fashion-MNIST and Chromium present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system packages missing: ${missing[*]}"
  echo "  install them with: sudo apt-get install ${missing[*]}"
  echo "  (tests that need them are skipped locally and fail under CI=true)"
  exit 0
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" || { apt-get update -q && apt-get install -y -q "${missing[@]}"; }
