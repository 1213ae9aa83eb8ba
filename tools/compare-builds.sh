#!/bin/sh
# compare-builds.sh OLD_BIN NEW_BIN [GENLOG] - check that two builds of
# pipefan write byte-identical `pipefan logs` reports.
#
# For every log file under ../shared/realdata (recursively) and for logs
# made by genlog (its "site" model and its "independent" model, the one
# with many distinct keys), runs both binaries with the same options and
# compares: --json, the default text report (fixed width, no colour), and
# every panel's CSV (--csv DIR), each with -j1 and -j2; plus a few runs
# with all real files at once, --top 0, --strip-query and the GeoIP test
# database.  Exit statuses must match too.  Prints one line per
# difference and a summary; exits 1 on any difference, 2 on a usage or
# setup error.
#
# GENLOG defaults to build/tools/genlog beside this script; REALDATA (env)
# overrides ../shared/realdata; GENSIZE (env) the generated logs' size
# (default 30M).
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 OLD_BIN NEW_BIN [GENLOG]" >&2
    exit 2
fi
abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
old=$(abs "$1")
new=$(abs "$2")
here=$(cd "$(dirname "$0")/.." && pwd)
genlog=${3:-$here/build/tools/genlog}
realdata=${REALDATA:-$here/../shared/realdata}
gensize=${GENSIZE:-30M}
for b in "$old" "$new"; do
    if [ ! -x "$b" ]; then
        echo "$0: $b: not an executable" >&2
        exit 2
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/compare-builds.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

runs=0
diffs=0

# run_one LABEL OUTKIND ARGS... : run both binaries, compare the outputs.
run_one() {
    label=$1
    kind=$2
    shift 2
    for side in old new; do
        bin=$old
        [ $side = new ] && bin=$new
        d=$tmp/$side
        rm -rf "$d"
        mkdir -p "$d"
        case $kind in
        csv)
            mkdir -p "$d/csv"
            (cd "$d" && "$bin" logs --no-progress -q --csv="$d/csv" "$@" \
                >"$d/out" 2>"$d/err.raw")
            echo $? >"$d/rc"
            ;;
        *)
            (cd "$d" && "$bin" logs --no-progress -q "$@" >"$d/out" \
                2>"$d/err.raw")
            echo $? >"$d/rc"
            ;;
        esac
        # messages carry a time stamp and a pid, and name the side's
        # directory: drop those before comparing
        sed -e 's/^[0-9TZ:.-]* \([A-Z]*\) \(.*\) pid [0-9]*:/\1 \2:/' \
            -e "s#$d#DIR#g" "$d/err.raw" >"$d/err"
        rm -f "$d/err.raw"
    done
    runs=$((runs + 1))
    if ! diff -r "$tmp/old" "$tmp/new" >"$tmp/diff" 2>&1; then
        diffs=$((diffs + 1))
        echo "DIFF: $label ($kind): $*"
        head -20 "$tmp/diff" | sed 's/^/    /'
    fi
}

# compare_file LABEL ARGS... : JSON, text and CSV, each with -j1 and -j2.
compare_file() {
    label=$1
    shift
    for j in 1 2; do
        run_one "$label" json -j"$j" --json "$@"
        run_one "$label" text -j"$j" --no-color --width 120 "$@"
        run_one "$label" csv -j"$j" "$@"
    done
}

files=
if [ -d "$realdata" ]; then
    files=$(find "$realdata" -type f ! -name '*.md' ! -name '*.json' \
        ! -name '*.mmdb' | LC_ALL=C sort)
else
    echo "# no real data at $realdata: generated logs only"
fi
for f in $files; do
    compare_file "$(basename "$f")" "$f"
done
if [ -n "$files" ]; then
    # shellcheck disable=SC2086
    compare_file "all-real-files" $files
    # shellcheck disable=SC2086
    compare_file "all-real-files-top0" --top 0 --strip-query $files
    mmdb=$realdata/geoip-test-mmdb/GeoLite2-Country-Test.mmdb
    if [ -f "$mmdb" ]; then
        # shellcheck disable=SC2086
        compare_file "all-real-files-geoip" --geoip-db "$mmdb" $files
    fi
fi

if [ -x "$genlog" ]; then
    mkdir -p "$tmp/gen"
    site=$tmp/gen/site.log
    busy=$tmp/gen/independent.log
    "$genlog" --size "$gensize" --seed 7 --model site --bad 0.001 \
        -o "$site" >/dev/null || exit 2
    "$genlog" --size "$gensize" --seed 8 --model independent \
        --format vhost_combined -o "$busy" >/dev/null || exit 2
    compare_file "genlog-site" "$site"
    compare_file "genlog-site-top0" --top 0 "$site"
    compare_file "genlog-independent" "$busy"
    compare_file "genlog-independent-top0" --top 0 --strip-query "$busy"
else
    echo "# no genlog at $genlog: real data only"
fi

echo "compare-builds: $runs runs, $diffs with differences"
[ "$diffs" -eq 0 ]
