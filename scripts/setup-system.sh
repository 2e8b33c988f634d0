#!/usr/bin/env bash
# Installs the system packages Verdict builds against (FFmpeg and ALSA headers, clang for bindgen,
# Xvfb for headless GUI checks, the OpenGL/X11 libraries the app loads) on Debian/Ubuntu. Does nothing when they are already there.
set -euo pipefail

packages=(
  pkg-config clang libclang-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libasound2-dev
  xvfb xauth mesa-vulkan-drivers libvulkan1
  # The export tests read and train on exports with HF datasets, TRL, LLaMA-Factory, OpenRLHF and
  # ms-swift in virtual environments (scripts/python-env.sh).
  python3 python3-venv
  # Loaded at run time by the desktop app (OpenGL through Mesa, X11 keyboard and cursors).
  libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxi6 libxrandr2
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "verdict setup: this is not a Debian/Ubuntu system (no apt-get). Install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "verdict setup: need root to install: ${missing[*]} (run as root, or install sudo)" >&2
    exit 1
  fi
fi
echo "verdict setup: installing ${missing[*]}" >&2
$sudo apt-get update -q >&2 || { echo "verdict setup: apt-get update failed (no network?). Install by hand: ${missing[*]}" >&2; exit 1; }
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
  || { echo "verdict setup: apt-get install failed. Install by hand: ${missing[*]}" >&2; exit 1; }
