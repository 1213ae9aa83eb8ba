#!/bin/sh
# raw-names.sh SRCROOT - no message or error text of pipefan logs prints
# a file name, path or argument with a raw "%s": each goes through the
# escaping of logs/esc.h (lg_esc_name, lg_esc_text, lg_esc_term...) or a
# buffer it filled.  A lint of the sources (issue 19 item 3): it looks at
# the arguments after the format of pf_log, fprintf, gerr, usage calls
# and snprintf into a message buffer (err, msg, e, line, out) and fails on one that names a path, dir, arg, target or
# ->path directly.  TAP on stdout.
exec python3 - "${1:-.}" <<'PY'
import glob, os, re, sys
root = sys.argv[1]
# pipefan logs' sources (pipefan run's messages name files its operator
# typed: not covered here)
files = sorted(glob.glob(os.path.join(root, "logs", "*.c")) +
               [os.path.join(root, "cli", f) for f in ("cmd-logs.c", "opt.c")])
call = re.compile(r"\b(pf_log|pf_logv|fprintf|snprintf|vsnprintf|gerr|"
                  r"usage_error|opt_usage_error)\s*\(")
raw = re.compile(r"(->path\b|\b(path|dir|arg|target|optarg|full|joblog|"
                 r"stats_json|dead_letter|csv_target|geoip_db)\b)")
bad = []
for path in files:
    src = open(path, encoding="utf-8", errors="replace").read()
    for m in call.finditer(src):
        # the call's text up to its closing parenthesis
        depth, i = 1, m.end()
        while i < len(src) and depth:
            depth += {"(": 1, ")": -1}.get(src[i], 0)
            i += 1
        text = src[m.end():i - 1]
        # split the top-level arguments
        args, depth, cur, q = [], 0, "", False
        for ch in text:
            if ch == '"' and not cur.endswith("\\"):
                q = not q
            if not q and ch in "([":
                depth += 1
            if not q and ch in ")]":
                depth -= 1
            if ch == "," and depth == 0 and not q:
                args.append(cur)
                cur = ""
            else:
                cur += ch
        args.append(cur)
        # snprintf into something other than a message (a format spec
        # built from an option, a path to open) is not a message
        if (m.group(1) in ("snprintf", "vsnprintf") and
                not re.search(r"err|msg|\be\b|line|\bout\b", args[0])):
            continue
        fmt = next((k for k, a in enumerate(args) if '"' in a), None)
        if fmt is None or "%s" not in args[fmt]:
            continue
        for a in args[fmt + 1:]:
            a = a.strip()
            if ("lg_esc_" in a or a.startswith("ESC(") or "strerror" in a
                    or a.startswith('"')):
                continue
            if raw.search(a):
                line = src.count("\n", 0, m.start()) + 1
                bad.append("%s:%d: %s(... %s ...)" % (
                    os.path.relpath(path, root), line, m.group(1), a))
print("1..1")
if bad:
    print("not ok 1 - file names and arguments reach messages raw")
    for b in bad:
        print("# " + b)
else:
    print("ok 1 - every file name or argument in a message is escaped (%d files)" % len(files))
PY
