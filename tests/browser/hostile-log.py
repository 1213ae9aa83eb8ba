#!/usr/bin/env python3
"""hostile-log.py OUT [PORT] - a vhost_combined access log whose paths,
referrers, user agents, users and virtual hosts carry markup, script,
javascript: URLs, U+2028/U+2029, bytes that are not UTF-8, terminal
escapes and strings of tens of KiB, for the tests of --html.  Markup
that would load something points at http://127.0.0.1:PORT/ (a listener
the browser test runs: a request there means markup ran).  Each hostile
string is on several lines so it makes the --top 10 rows."""
import sys

out = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 9
probe = "http://127.0.0.1:%d" % port

hostile = [
    b"/<script>window.__pwned=1</script>",
    b"/</script><script>window.__pwned=2</script>",
    b'/"><img src=x onerror=window.__pwned=3>',
    b"/'><svg onload=window.__pwned=4>",
    ("/<img src=%s/img>" % probe).encode(),
    ("/<link rel=stylesheet href=%s/css>" % probe).encode(),
    ("/<iframe src=%s/frame></iframe>" % probe).encode(),
    b"/<!--<script>window.__pwned=5</script>-->",
    b"/ls\xe2\x80\xa8ps\xe2\x80\xa9end",
    b"/bad-utf8-\xff\xfe\xc3(\xed\xa0\x80",
    b"/rlo-\xe2\x80\xaefdp.exe",
    b"/&amp;&lt;script&gt;",
]
referrers = [
    b"javascript:window.__pwned=6",
    b"JaVaScRiPt:alert(document.domain)",
    b"data:text/html,<script>window.__pwned=7</script>",
    ("%s/ref" % probe).encode(),
    b"</script><script>window.__pwned=8</script>",
]
agents = [
    b"<script>window.__pwned=9</script>",
    b'Mozilla"><img src=x onerror=window.__pwned=10>',
    b"agent\xe2\x80\xa8sep",
]
users = [b"<b>bold</b>", b"-", b"javascript:x"]
vhosts = [b"<script>window.__pwned=11</script>",
          b"evil'><img/src=x/onerror=window.__pwned=14>",
          b"ok.example"]


def line(i, vhost, user, path, ref, agent, status=200):
    return b" ".join([
        vhost + b":80", b"10.0.%d.%d" % (i % 7, i % 200 + 1), b"-", user,
        b"[10/Oct/2023:13:%02d:%02d +0000]" % (i // 60 % 60, i % 60),
        b'"GET ' + path + b' HTTP/1.1"', b"%d" % status, b"%d" % (100 + i),
        b'"' + ref + b'"', b'"' + agent + b'"']) + b"\n"


lines = []
i = 0
for rep in range(3):
    for k, p in enumerate(hostile):
        lines.append(line(i, vhosts[k % len(vhosts)], users[k % len(users)],
                          p, referrers[k % len(referrers)],
                          agents[k % len(agents)], 404 if k % 3 == 0 else 200))
        i += 1
# a 60 KiB user agent (a line under 64 KiB), a 64 KiB+ line (too_long)
long_agent = b"<script>window.__pwned=12</script>" + b"A" * 60000 + b"</script>"
for rep in range(2):
    lines.append(line(i, b"ok.example", b"-", b"/long", b"-", long_agent))
    i += 1
lines.append(line(i, b"ok.example", b"-", b"/" + b"B" * 70000, b"-", b"x"))
i += 1
# terminal escapes and a NUL: bad lines (binary), shown as samples
lines.append(line(i, b"ok.example", b"-", b"/esc\x1b]52;c;eA==\x07\x1b[2J",
                  b"-", b"x\x00y"))
i += 1
lines.append(b"<script>window.__pwned=13</script> not a log line\n")
with open(out, "wb") as f:
    f.writelines(lines)
