#!/usr/bin/env bash
# Installs the build tree into a scratch prefix and uses it the way another project would:
#   installed_package.sh BUILD_DIR SOURCE_DIR WORK_DIR VERSION CXX LAUNCHER FLAGS REFERENCE
# - cmake --install BUILD_DIR --prefix WORK_DIR/prefix: library, headers (not the CLI glue),
#   CMake package, flowkit.pc, the tools, man pages, bash completions;
# - examples/installed (find_package(flowkit)) configured with CMAKE_PREFIX_PATH=prefix, built,
#   and run on examples/sample.pcap: its connection count and bytes per direction must be what
#   REFERENCE (the build tree's print_events, linked to the build tree's library) reports, and
#   the connection count what tshark counts, when tshark is there;
# - the same program built with only `pkg-config --cflags --libs flowkit` prints the same;
# - every installed header compiles with just the pkg-config flags.
# FLAGS are added to every compile and link (the sanitizer build passes -fsanitize=...: its
# installed library is instrumented); LAUNCHER (e.g. ccache) may be empty.
set -euo pipefail
build=$1 source=$2 work=$3 version=$4 cxx=$5 launcher=$6 flags=$7 reference=$8
sample=$source/examples/sample.pcap
prefix=$work/prefix

fail=0
error() {
  echo "FAIL: $*" >&2
  fail=1
}
step() { echo "== $*"; }

rm -rf "$prefix" "$work/pkg-config"
mkdir -p "$work"
unset DESTDIR

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
pc=$(find "$prefix" -name flowkit.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || { echo "FAIL: no flowkit.pc installed" >&2; exit 1; }
libdir=$(realpath "$(dirname "$pc")/..")
for f in "$libdir"/cmake/flowkit/flowkitConfig.cmake "$libdir"/cmake/flowkit/flowkitConfigVersion.cmake \
         "$libdir"/cmake/flowkit/flowkitTargets.cmake "$prefix"/include/flowkit/reassembler.h \
         "$prefix"/include/flowkit/packet_source.h; do
  [ -f "$f" ] || error "not installed: ${f#"$prefix"/}"
done
ls "$libdir"/libflowkit_reassembly.* >/dev/null 2>&1 || error "the library is not installed"
[ ! -e "$prefix/include/flowkit/cli" ] || error "the tools' CLI headers are installed"
for tool in flowgrep versiondetect httpgraph; do
  [ -f "$build/$tool/$tool" ] || continue  # FLOWKIT_SKIP_TOOLS
  "$prefix/bin/$tool" --version | grep -qF "$version" || error "bin/$tool --version is not $version"
  [ -f "$prefix/share/bash-completion/completions/$tool" ] || error "no bash completion for $tool"
  if [ -f "$build/man/$tool.1" ]; then
    # man finds it there (when man-db is installed), and it is the page of this build.
    if command -v man >/dev/null &&
       [ "$(MANPATH="$prefix/share/man" man -w "$tool" 2>/dev/null)" != "$prefix/share/man/man1/$tool.1.gz" ]; then
      error "man -w $tool does not find share/man/man1/$tool.1.gz in the prefix"
    fi
    cmp -s <(gzip -dc "$prefix/share/man/man1/$tool.1.gz") "$build/man/$tool.1" ||
      error "the installed man page of $tool is not the one built"
  fi
done

step "reference: $(basename "$reference") on $(basename "$sample")"
events=$("$reference" "$sample")
expected=$(awk '
  { ids[$1] = 1 }
  $2 == "data" { bytes[$3] += $7 }
  $2 == "gap" { ++gaps }
  END {
    n = 0; for (id in ids) ++n
    printf "connections %d\nbytes to-server %d\nbytes to-client %d\ngaps %d\n",
           n, bytes["to-server"], bytes["to-client"], gaps
  }' <<<"$events")
echo "$expected"
if command -v tshark >/dev/null; then
  conversations=$(tshark -r "$sample" -q -z conv,tcp 2>/dev/null | grep -c '<->' || true)
  grep -qx "connections $conversations" <<<"$expected" ||
    error "tshark counts $conversations TCP conversations in the sample, the reference does not"
fi

step "examples/installed with find_package(flowkit), CMAKE_PREFIX_PATH=$prefix"
example=$work/example
cmake -S "$source/examples/installed" -B "$example" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"} \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/example-configure.log"
cmake --build "$example" >"$work/example-build.log"
# Built against the prefix, not the source or build tree.
found=$(sed -n 's/^flowkit_DIR:PATH=//p' "$example/CMakeCache.txt")
[ "$(realpath "$found")" = "$(realpath "$libdir/cmake/flowkit")" ] ||
  error "find_package(flowkit) found $found, not the scratch prefix"
grep -q -- "$prefix/include" "$example/compile_commands.json" ||
  error "the example is not compiled with the installed headers"
if grep -qE -- "$source/reassembly|$build/reassembly" "$example/compile_commands.json"; then
  error "the example's compile line names the source or build tree"
fi
link=$(cat "$example/CMakeFiles/flow_summary.dir/link.txt")
grep -qF -- "$libdir/libflowkit_reassembly" <<<"$link" ||
  error "the example does not link the installed library: $link"
got=$("$example/flow_summary" "$sample")
echo "$got"
[ "$got" = "$expected" ] || error "flow_summary (find_package) printed [$got], expected [$expected]"

step "pkg-config --cflags --libs flowkit"
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --modversion flowkit)" = "$version" ] ||
  error "pkg-config --modversion flowkit is $(pkg-config --modversion flowkit), not $version"
read -r -a pc_flags <<<"$(pkg-config --cflags --libs flowkit)"
read -r -a extra <<<"$flags"
mkdir -p "$work/pkg-config"
$launcher "$cxx" -std=c++20 "${extra[@]}" "$source/examples/installed/flow_summary.cc" \
  "${pc_flags[@]}" -o "$work/pkg-config/flow_summary"
got=$("$work/pkg-config/flow_summary" "$sample")
[ "$got" = "$expected" ] || error "flow_summary (pkg-config) printed [$got], expected [$expected]"
# Every installed header, with nothing but the pkg-config flags: none needs a private header.
for header in "$prefix"/include/flowkit/*.h; do
  echo "#include <flowkit/$(basename "$header")>"
done >"$work/pkg-config/all_headers.cc"
read -r -a pc_cflags <<<"$(pkg-config --cflags flowkit)"
"$cxx" -std=c++20 -fsyntax-only "${pc_cflags[@]}" "$work/pkg-config/all_headers.cc" ||
  error "the installed headers do not compile with pkg-config --cflags flowkit"

[ "$fail" -eq 0 ] || exit 1
echo "installed package: find_package and pkg-config builds agree with the library"
