#!/bin/sh
# install-deps.sh [EXTRA-PACKAGE...] - install the Debian packages needed to
# build and test pipefan (plus any named on the command line).  A no-op when
# all are installed: apt-get runs only when dpkg-query finds one missing.
# Uses sudo only when not root.
set -eu

packages="
    meson ninja-build pkg-config gcc clang make
    zlib1g-dev libisal-dev libzstd-dev libpcre2-dev
    libmaxminddb-dev mmdb-bin zstd gzip util-linux
    libc-ares-dev dnsmasq-base
    openmpi-bin libopenmpi-dev
    libclang-rt-14-dev
    help2man man-db groff-base
    python3 procps binutils clang-format
    chromium chromium-driver python3-selenium
"

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: not a Debian system; install by hand:" $packages "$@" >&2
    exit 0
fi

# One dpkg-query for all: a package it does not list (or lists as not
# installed) is missing.
# shellcheck disable=SC2086 # word splitting of the package list is wanted
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $packages "$@" \
    2>/dev/null | awk '/ install ok installed$/ { print $1 }')
missing=
for pkg in $packages "$@"; do
    case " $(echo $installed) " in
    *" $pkg "*) ;;
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
