#!/usr/bin/env bash
# Installs the C API under a prefix, for a simulator's build to find with
# pkg-config:
#
#   PREFIX/include/exact_neuron.h
#   PREFIX/lib/libexact_neuron_c.a, libexact_neuron_c.so
#   PREFIX/lib/pkgconfig/exact_neuron_c.pc   (from exact_neuron_c.pc.in)
#
# Usage: capi/install.sh PREFIX [LIB_DIR]
# LIB_DIR holds the built libraries; without it, this builds them
# (cargo build --release -p exact-neuron-c) and takes target/release.
# Then: cc prog.c $(PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs exact_neuron_c)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 PREFIX [LIB_DIR]" >&2
    exit 2
fi
capi=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
prefix=$(cd "$1" && pwd)
if [ $# -eq 2 ]; then
    lib_dir=$2
else
    (cd "$capi/.." && "${CARGO:-cargo}" build --release -p exact-neuron-c)
    lib_dir=$capi/../target/release
fi
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$capi/Cargo.toml" | head -n 1)

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
cp "$capi/include/exact_neuron.h" "$prefix/include/"
cp "$lib_dir/libexact_neuron_c.a" "$lib_dir/libexact_neuron_c.so" "$prefix/lib/"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" \
    "$capi/exact_neuron_c.pc.in" >"$prefix/lib/pkgconfig/exact_neuron_c.pc"
echo "installed exact_neuron_c $version under $prefix"
