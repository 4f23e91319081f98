#!/usr/bin/env bash
# cpack -G DEB makes the two Debian packages, with what they should hold:
#   deb_package.sh BUILD_DIR WORK_DIR VERSION
# - flowkit_VERSION_ARCH.deb (section net): usr/bin/<tool>, its gzipped man page and bash
#   completion for every tool this build has; Depends from dpkg-shlibdeps (libpcap among them);
# - libflowkit-dev_VERSION_ARCH.deb: the static library, headers, CMake package and flowkit.pc;
#   unpacked anywhere, its flowkit.pc points at the unpacked headers (it is relocatable).
set -euo pipefail
build=$1 work=$2 version=$3

fail=0
error() {
  echo "FAIL: $*" >&2
  fail=1
}

rm -rf "$work"
mkdir -p "$work"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; echo "FAIL: cpack -G DEB failed" >&2; exit 1; }
arch=$(dpkg --print-architecture)
tools_deb=$work/flowkit_${version}_${arch}.deb
dev_deb=$work/libflowkit-dev_${version}_${arch}.deb
for deb in "$tools_deb" "$dev_deb"; do
  [ -f "$deb" ] || { echo "FAIL: cpack made no $(basename "$deb"): $(ls "$work")" >&2; exit 1; }
done

contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|'; }
tools=$(contents "$tools_deb")
dev=$(contents "$dev_deb")
has() {  # has LISTING PATH DEB
  grep -qxF -- "$2" <<<"$1" || error "$(basename "$3") has no $2"
}

tool_count=0
for tool in flowgrep versiondetect httpgraph; do
  [ -f "$build/$tool/$tool" ] || continue  # FLOWKIT_SKIP_TOOLS
  tool_count=$((tool_count + 1))
  has "$tools" "/usr/bin/$tool" "$tools_deb"
  has "$tools" "/usr/share/bash-completion/completions/$tool" "$tools_deb"
  if [ -f "$build/man/$tool.1" ]; then
    has "$tools" "/usr/share/man/man1/$tool.1.gz" "$tools_deb"
  fi
done
[ "$tool_count" -gt 0 ] || error "this build has no tools to package"
if grep -q '^/usr/include\|\.a$' <<<"$tools"; then error "the tools package holds development files"; fi

has "$dev" /usr/include/flowkit/reassembler.h "$dev_deb"
has "$dev" /usr/lib/pkgconfig/flowkit.pc "$dev_deb"
for f in flowkitConfig.cmake flowkitConfigVersion.cmake flowkitTargets.cmake; do
  has "$dev" "/usr/lib/cmake/flowkit/$f" "$dev_deb"
done
grep -q '^/usr/lib/libflowkit_reassembly\.a$' <<<"$dev" || error "no static library in the -dev package"
if grep -q '^/usr/bin/' <<<"$dev"; then error "the -dev package holds programs"; fi

field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$tools_deb" Section)" = net ] || error "flowkit is not in section net"
[ "$(field "$tools_deb" Version)" = "$version" ] || error "flowkit is not version $version"
[ -n "$(field "$tools_deb" Maintainer)" ] || error "flowkit has no maintainer"
grep -q 'libpcap' <<<"$(field "$tools_deb" Depends)" ||
  error "flowkit does not depend on libpcap: $(field "$tools_deb" Depends)"
grep -q 'libpcap-dev' <<<"$(field "$dev_deb" Depends)" ||
  error "libflowkit-dev does not depend on libpcap-dev: $(field "$dev_deb" Depends)"

# Unpacked somewhere else, the pkg-config file still finds its headers and library.
dpkg-deb -x "$dev_deb" "$work/root"
cflags=$(PKG_CONFIG_PATH=$work/root/usr/lib/pkgconfig pkg-config --cflags flowkit)
include=$(grep -oE -- '-I[^ ]*' <<<"$cflags" | head -n 1)
[ "$(realpath "${include#-I}")" = "$(realpath "$work/root/usr/include")" ] ||
  error "the unpacked flowkit.pc points at ${include#-I}, not the unpacked usr/include"

[ "$fail" -eq 0 ] || exit 1
echo "$(basename "$tools_deb") ($tool_count tools) and $(basename "$dev_deb") look right"
