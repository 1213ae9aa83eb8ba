#!/bin/sh
# install-deps.sh [EXTRA-PACKAGE...] - install the Debian packages needed to
# build and test pipefan (plus any named on the command line).  A no-op when
# all are installed: apt-get runs only when dpkg-query finds one missing.
# Uses sudo only when not root.
set -eu

packages="
    meson ninja-build pkg-config gcc clang make
    zlib1g-dev libdeflate-dev libisal-dev libzstd-dev libpcre2-dev
    libmaxminddb-dev mmdb-bin
    libclang-rt-14-dev
    python3 procps binutils clang-format
"

missing=
for pkg in $packages "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case $status in
    *"install ok installed"*) ;;
    *) missing="$missing $pkg" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "install-deps: all Debian packages present"
    exit 0
fi

echo "install-deps: installing$missing"
sudo=
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # word splitting of the package list is wanted
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -q -y --no-install-recommends $missing
