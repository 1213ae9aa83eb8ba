#!/bin/sh
# browser.sh PIPEFAN GENLOG - the --html page in Debian's chromium,
# headless, driven through chromedriver by python3-selenium (browser.py).
# TAP on stdout; "1..0 # SKIP" with the reason when chromium, chromedriver
# or selenium is missing (tools/install-deps.sh installs them).
HERE=$(cd "$(dirname "$0")" && pwd)
chromium=$(command -v chromium || command -v chromium-browser || true)
driver=$(command -v chromedriver || true)
[ -z "$driver" ] && [ -x /usr/lib/chromium/chromedriver ] && driver=/usr/lib/chromium/chromedriver
if [ -z "$chromium" ] || [ -z "$driver" ]; then
    echo "1..0 # SKIP chromium and chromium-driver are not installed (apt-get install chromium chromium-driver python3-selenium)"
    exit 0
fi
# Debian's python3-selenium lives in /usr/lib/python3/dist-packages: the
# system python first (a pyenv or venv python3 earlier in PATH does not
# see it)
py=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import selenium' 2>/dev/null; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    echo "1..0 # SKIP python3-selenium is not installed (apt-get install python3-selenium)"
    exit 0
fi
exec "$py" "$HERE/browser.py" "$1" "$2" "$chromium" "$driver"
