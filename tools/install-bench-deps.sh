#!/bin/sh
# install-bench-deps.sh - the tools the benchmarks compare pipefan with
# (GNU parallel, GoAccess, hyperfine, gawk, Python), and the JSON
# libraries bench/json/ measures the JSON scanner against (jansson,
# json-c, simdjson; not build dependencies).  Separate from
# install-deps.sh so `make check` never pulls them in.
set -eu
here=$(dirname "$0")
exec "$here/install-deps.sh" hyperfine goaccess parallel gawk python3 time valgrind \
    libjansson-dev libjson-c-dev libsimdjson-dev g++ "$@"
