#!/usr/bin/env python3
"""browser.py PIPEFAN GENLOG CHROMIUM CHROMEDRIVER - pipefan logs --html
in a real browser (chromium headless, through selenium): the page opens
with no console error and no CSP violation, its numbers equal --json (a
generated log, and the real logs of ../shared/realdata when present),
sorting and filtering work, every panel is there with JavaScript off,
and a hostile log runs nothing: window.__pwned stays undefined and a
listener on 127.0.0.1 that its markup points at gets no request.  TAP."""
import glob
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

PIPEFAN, GENLOG, CHROMIUM, DRIVER = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("PIPEFAN_SOURCE_ROOT", os.path.join(HERE, "..", ".."))
REAL = os.path.join(ROOT, "..", "shared", "realdata")
TMP = tempfile.mkdtemp(prefix="pipefan-browser.")
RANKED = [("methods", "method"), ("protocols", "protocol"), ("paths", "path"),
          ("clients", "client"), ("referrers", "referrer"),
          ("agents", "agent"), ("not_found", "path"), ("vhosts", "vhost")]
n_tests = n_fail = 0


def tap(ok, name, diag=""):
    global n_tests, n_fail
    n_tests += 1
    if not ok:
        n_fail += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n_tests, name))
    if not ok and diag:
        for line in str(diag).splitlines()[:30]:
            print("# " + line)
    sys.stdout.flush()


def case(name, fn, *args):
    """Run fn(*args): it returns a list of problems (empty: passes)."""
    try:
        errs = fn(*args)
    except Exception:
        errs = [traceback.format_exc()]
    tap(not errs, name, "\n".join(errs))


def skip(name, why):
    global n_tests
    n_tests += 1
    print("ok %d - %s # SKIP %s" % (n_tests, name, why))


def browser(js=True):
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=1280,1000",
              "--no-first-run", "--disable-extensions"):
        o.add_argument(a)
    if not js:
        o.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=o)


def run(args, out=None):
    with open(out, "wb") if out else open(os.devnull, "wb") as f:
        return subprocess.run([PIPEFAN, "logs"] + args, stdout=f,
                              stderr=subprocess.DEVNULL).returncode


def make(name, log, *opts):
    """The page and the --json of log; (page, json dict) or None."""
    page, js = os.path.join(TMP, name + ".html"), os.path.join(TMP, name + ".json")
    if run(list(opts) + ["--html", page, log]) not in (0, 3):
        return None
    run(list(opts) + ["--json", log], js)
    return page, json.load(open(js))


def open_page(d, page):
    d.get("file://" + page)
    return [e["message"] for e in d.get_log("browser")]


def console_clean(d, page):
    msgs = open_page(d, page)
    return ["console: " + m for m in msgs]


def table(d, panel):
    """Rows of panel's table: each a list of (text, data-v) per cell."""
    return d.execute_script("""
        var s = document.getElementById('p-' + arguments[0]);
        var t = s && s.querySelector('table');
        if (!t) return [];
        return Array.prototype.map.call(t.tBodies[0].rows, function (tr) {
          return Array.prototype.map.call(tr.cells, function (td) {
            return [td.textContent, td.getAttribute('data-v')]; });
        });""", panel)


def num(text):
    return int(text.replace(",", ""))


def numbers_equal(d, page, j):
    """Every number of the page's panels against the --json document."""
    errs = console_clean(d, page)
    for dd in d.find_elements(By.CSS_SELECTOR, "dd[data-k][data-v]"):
        k = dd.get_attribute("data-k")
        if k in j["totals"] and j["totals"][k] != int(dd.get_attribute("data-v")):
            errs.append("totals.%s: page %s, json %s" % (
                k, dd.get_attribute("data-v"), j["totals"][k]))
    for name, key in RANKED:
        if name not in j:
            continue
        rows = table(d, name)
        if len(rows) != len(j[name]):
            errs.append("%s: %d rows, json %d" % (name, len(rows), len(j[name])))
        for row, want in zip(rows, j[name]):
            printable = all(0x20 <= ord(c) < 0x7f for c in want[key])
            if printable and len(want[key]) < 1000 and row[1][0] != want[key]:
                errs.append("%s: key %r, json %r" % (name, row[1][0], want[key]))
            if num(row[2][0]) != want["hits"] or int(row[4][1]) != want["bytes"]:
                errs.append("%s %r: hits/bytes %s/%s, json %s/%s" % (
                    name, want[key], row[2][0], row[4][1], want["hits"],
                    want["bytes"]))
    if d.find_elements(By.CSS_SELECTOR, "#p-clients th:nth-child(6)"):
        got = [r[5][0] for r in table(d, "clients")]
        want = [c["country"] or "--" for c in j["clients"]]
        if got != want:
            errs.append("client countries: page %r, json %r" % (got, want))
    if "countries" in j and j["countries"]:
        got = [(r[0][0], num(r[1][0]), int(r[3][1]), num(r[4][0]))
               for r in table(d, "countries")]
        want = [(c["country"] or "--", c["hits"], c["bytes"], c["clients"])
                for c in j["countries"]]
        if got != want:
            errs.append("countries: page %r, json %r" % (got, want))
    st = {r[0][0]: num(r[1][0]) for r in table(d, "status")}
    if st != {k: v for k, v in j.get("status", {}).items()}:
        errs.append("status: page %r, json %r" % (st, j.get("status")))
    for name, key in (("hours", "hour"), ("days", "day")):
        got = [(r[0][0], num(r[1][0]), int(r[2][1])) for r in table(d, name)]
        want = [(h[key], h["hits"], h["bytes"]) for h in j.get(name, [])]
        if got != want:
            errs.append("%s: page %.300r, json %.300r" % (name, got, want))
    return errs


def sorting(d, page):
    errs = console_clean(d, page)
    sec = d.find_element(By.ID, "p-paths")
    heads = sec.find_elements(By.CSS_SELECTOR, "thead th")
    hits = [h for h in heads if h.text.startswith("hits")][0]

    def col(i):
        return [num(r[i][0]) for r in table(d, "paths")]
    hits.click()
    down = col(2)
    if down != sorted(down, reverse=True) or hits.get_attribute("aria-sort") != "descending":
        errs.append("one click on hits: %r, aria-sort %s" % (down, hits.get_attribute("aria-sort")))
    hits.click()
    up = col(2)
    if up != sorted(up) or hits.get_attribute("aria-sort") != "ascending":
        errs.append("two clicks on hits: %r" % up)
    byt = [h for h in heads if h.text.startswith("bytes")][0]
    byt.click()
    b = [int(r[4][1]) for r in table(d, "paths")]
    if b != sorted(b, reverse=True):
        errs.append("bytes: %r" % b)
    if hits.get_attribute("aria-sort") is not None:
        errs.append("hits keeps aria-sort after sorting by bytes")
    return errs


def filtering(d, page, word):
    errs = console_clean(d, page)
    box = d.find_element(By.CSS_SELECTOR, "#p-paths input.filter")
    box.send_keys(word)
    shown = d.execute_script("""
        return Array.prototype.filter.call(
          document.querySelectorAll('#p-paths tbody tr'),
          function (tr) { return !tr.hidden; }).map(
          function (tr) { return tr.cells[1].textContent; });""")
    if not shown or any(word.lower() not in s.lower() for s in shown):
        errs.append("filter %r shows %r" % (word, shown))
    return errs


def no_script(d, page, j):
    """JavaScript off: every panel, its rows and charts, no script effect."""
    errs = []
    d.get("file://" + page)
    ids = [s.get_attribute("id") for s in d.find_elements(By.TAG_NAME, "section")]
    want = ["p-" + k for k in ("totals", "status", "methods", "protocols",
                               "paths", "clients", "countries", "hours",
                               "days", "referrers", "agents", "not_found",
                               "vhosts", "bad", "files")]
    if ids != want:
        errs.append("sections %r" % ids)
    for s in d.find_elements(By.TAG_NAME, "section"):
        if not s.is_displayed():
            errs.append("%s is hidden" % s.get_attribute("id"))
    rows = d.find_elements(By.CSS_SELECTOR, "#p-paths tbody tr")
    if len(rows) != len(j["paths"]):
        errs.append("%d path rows, json %d" % (len(rows), len(j["paths"])))
    bars = d.find_elements(By.CSS_SELECTOR, "#p-hours svg rect")
    if not bars:
        errs.append("no bars in the hours chart")
    if d.find_elements(By.CSS_SELECTOR, "input.filter, th[aria-sort], th.sort"):
        errs.append("the script ran (filter boxes or sortable heads)")
    return errs


class Probe(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):
        Probe.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def hostile(d, page, port, js):
    errs = console_clean(d, page) if js else []
    if not js:
        d.get("file://" + page)
    if js:
        box = d.find_element(By.CSS_SELECTOR, "#p-paths input.filter")
        box.send_keys("<script>")
        d.find_elements(By.CSS_SELECTOR, "#p-paths thead th")[1].click()
        pw = d.execute_script("return typeof window.__pwned")
        if pw != "undefined":
            errs.append("window.__pwned is %s" % pw)
        errs += ["console: " + e["message"] for e in d.get_log("browser")]
    time.sleep(1)
    if Probe.hits:
        errs.append("the listener got %r" % Probe.hits)
    text = d.find_element(By.ID, "p-paths").get_attribute("textContent")
    for s in ("/<script>window.__pwned=1</script>",
              '/"><img src=x onerror=window.__pwned=3>'):
        if s not in text:
            errs.append("not shown as text: %r" % s)
    refs = d.find_element(By.ID, "p-referrers")
    if "javascript:window.__pwned=6" not in refs.get_attribute("textContent"):
        errs.append("the javascript: referrer is not shown")
    if refs.find_elements(By.TAG_NAME, "a"):
        errs.append("a link in the referrers")
    for tag, n in (("script", 2), ("img", 0), ("iframe", 0), ("link", 0),
                   ("a", len(d.find_elements(By.CSS_SELECTOR, "nav a")))):
        got = len(d.find_elements(By.TAG_NAME, tag))
        if got != n:
            errs.append("%d <%s> elements, want %d" % (got, tag, n))
    return errs


def main():
    gen = os.path.join(TMP, "gen.log")
    subprocess.run([GENLOG, "--lines", "20000", "--seed", "11", "-o", gen],
                   check=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Probe)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    hl = os.path.join(TMP, "hostile.log")
    subprocess.run([sys.executable, os.path.join(HERE, "hostile-log.py"), hl,
                    str(srv.server_address[1])], check=True)
    g = make("gen", gen)
    h = make("hostile", hl, "--top", "50")
    d = browser(True)
    try:
        case("genlog page: no console error, numbers equal --json",
             numbers_equal, d, g[0], g[1])
        real = sorted(glob.glob(os.path.join(REAL, "elastic-apache_logs", "apache_logs")) +
                      glob.glob(os.path.join(REAL, "fixtures", "*", "*")))
        if not real:
            skip("real logs: numbers equal --json",
                 "%s not found (the real data in ../shared beside the tree)" % REAL)
        errs, done = [], 0
        for i, log in enumerate(real):
            p = make("real%d" % i, log, "--top", "20")
            if p is None:
                continue
            done += 1
            errs += ["%s: %s" % (os.path.relpath(log, REAL), e)
                     for e in numbers_equal(d, p[0], p[1])]
        db = os.path.join(REAL, "geoip-test-mmdb", "GeoLite2-Country-Test.mmdb")
        if os.path.exists(db):
            geo = os.path.join(TMP, "geo.log")
            with open(geo, "w") as f:
                for ip in ("81.2.69.160", "81.2.69.160", "2001:218::1", "10.0.0.1"):
                    f.write('%s - - [01/Mar/2024:00:00:01 +0000] "GET / HTTP/1.1" '
                            '200 5 "-" "-"\n' % ip)
            p = make("geo", geo, "--geoip-db", db)
            errs += ["geo: " + e for e in numbers_equal(d, p[0], p[1])]
            if not p[1].get("countries"):
                errs.append("geo: no countries in the JSON")
        if real:
            tap(not errs and done > 0,
                "real logs (%d of %d analysed): numbers equal --json" % (done, len(real)),
                "\n".join(errs))
        case("sorting by a column, both ways", sorting, d, g[0])
        first = g[1]["paths"][0]["path"]
        case("filtering the rows", filtering, d, g[0], first[1:6])
        case("hostile log, script on: nothing runs, nothing loads, shown as text",
             hostile, d, h[0], srv.server_address[1], True)
    finally:
        d.quit()
    d = browser(False)
    try:
        case("JavaScript off: every panel, its rows and charts are there",
             no_script, d, g[0], g[1])
        case("hostile log, script off: nothing loads, shown as text",
             hostile, d, h[0], srv.server_address[1], False)
    finally:
        d.quit()
    srv.shutdown()
    shutil.rmtree(TMP, ignore_errors=True)
    print("1..%d" % n_tests)
    print("# %d passed, %d failed" % (n_tests - n_fail, n_fail))
    sys.exit(1 if n_fail else 0)


main()
