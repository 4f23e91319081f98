#!/usr/bin/env bash
# Installs what flowkit needs (Debian, as root, non-interactive; only what is missing), then
# configures and builds. Idempotent: a second run only rebuilds what changed.
#   scripts/setup.sh [--build-dir DIR] [--sanitize] [--no-build]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$root/build"
sanitize=""
do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --sanitize) sanitize="address,undefined"; shift ;;
    --no-build) do_build=0; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config
  libpcap-dev libnet1-dev libhyperscan-dev libboost-dev libfmt-dev
  libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev libbenchmark-dev
  tshark tcpdump libnids-dev libglib2.0-dev iproute2 graphviz ccache help2man
  clang libclang-rt-14-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer once, quietly.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$do_build" -eq 1 ] || exit 0
jobs=$(nproc 2>/dev/null || echo 2)
build_type=RelWithDebInfo
# Sanitizer builds only run tests: -O1 keeps them fast to build and still fast enough to run.
[ -n "$sanitize" ] && build_type=SanitizerCheck
launcher=()
if command -v ccache >/dev/null; then
  # Paths relative to the checkout, so every clone shares one cache.
  export CCACHE_BASEDIR="$root"
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DFLOWKIT_SANITIZE="$sanitize" \
  "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j"$jobs"
