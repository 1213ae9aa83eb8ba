#!/usr/bin/env python3
"""header2man.py HEADER README VERSION OUT - write libpipefan(3) from the
public header: its comments become the text and its declarations the
synopsis of each part, in the header's order, so the page says what the
header says.  The error codes come from PF_ERRNO_MAP, the example is the
README's first C block (the one tests/integration/install.sh compiles)."""
import re
import sys


def esc(text):
    """Troff-escape one line of text."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def comment_text(lines):
    """The prose of a /* ... */ block, one string per line."""
    out = []
    for ln in lines:
        ln = ln.strip()
        ln = re.sub(r"^/\*+", "", ln)
        ln = re.sub(r"\*+/$", "", ln)
        ln = re.sub(r"^\* ?", "", ln.strip())
        out.append(ln.rstrip())
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def items(src):
    """(kind, lines) in order: 'comment', 'code', 'section' (a
    '/* ---- title ---- */' line) or 'blank'."""
    lines = src.splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        s = ln.strip()
        m = re.match(r"^/\* -+ (.*?) -*\s*\*/$", s)
        if m:
            yield "section", [m.group(1)]
            i += 1
        elif s.startswith("/*") and not ln.startswith((" ", "\t")):
            block = [ln]
            while "*/" not in lines[i]:
                i += 1
                block.append(lines[i])
            i += 1
            yield "comment", block
        elif not s:
            yield "blank", []
            i += 1
        else:
            block = []
            while i < len(lines) and lines[i].strip() and not (
                    lines[i].startswith("/*")):
                block.append(lines[i])
                i += 1
            yield "code", block


BOILERPLATE = re.compile(
    r"^#(ifndef PIPEFAN_H|define PIPEFAN_H|include|ifdef __cplusplus|"
    r"if defined\(__GNUC__\)|define PF_EXTERN|define PF_PRINTF|else|endif)"
    r"|^(extern \"C\" \{|\})$")


def code_lines(block):
    out = []
    for ln in block:
        if BOILERPLATE.match(ln.strip()):
            continue
        ln = ln.replace("PF_EXTERN ", "")
        ln = re.sub(r"\s+\\$", "", ln)
        out.append(ln.rstrip())
    return out


def main():
    header, readme, version, outpath = sys.argv[1:5]
    src = open(header, encoding="utf-8").read()
    out = [
        '.TH LIBPIPEFAN 3 "" "libpipefan %s" "Library Functions Manual"'
        % version,
        ".SH NAME",
        "libpipefan \\- pipelines of processes joined by shared-memory "
        "queues",
        ".SH SYNOPSIS",
        ".nf",
        ".B #include <pipefan.h>",
        ".PP",
        ".B cc prog.c $(pkg\\-config \\-\\-cflags \\-\\-libs pipefan)",
        ".fi",
    ]
    its = list(items(src))
    # the header's first comment is the description
    first = next(k for k, (kind, _) in enumerate(its) if kind == "comment")
    out.append(".SH DESCRIPTION")
    para = []
    for ln in comment_text(its[first][1])[1:]:
        if not ln:
            if para:
                out.append(".PP")
                out.extend(esc(p) for p in para)
            para = []
        else:
            para.append(ln)
    if para:
        out.append(".PP")
        out.extend(esc(p) for p in para)
    errors = re.findall(r'X\((E\w+), (-\d+), "([^"]*)"\)', src)
    out.append(".SH ERRORS")
    out.append("Functions returning int return 0 (or a count) on success, "
               "or one of these negative codes:")
    for name, value, msg in errors:
        out += [".TP", ".BR PF_%s \" (%s)\"" % (name, esc(value)), esc(msg)]
    out.append(".SH FUNCTIONS AND TYPES")
    out.append("The declarations of the header, part by part, each with "
               "the header's own comment.")
    for kind, block in its[first + 1:]:
        if kind == "section":
            out.append(".SS %s" % esc(block[0][0].upper() + block[0][1:]))
        elif kind == "comment":
            text = [ln for ln in comment_text(block)]
            out.append(".PP")
            out.extend(esc(ln) if ln else ".PP" for ln in text)
        elif kind == "code":
            code = code_lines(block)
            if code:
                out += [".PP", ".nf", ".RS 4"]
                out.extend(esc(ln) for ln in code)
                out += [".RE", ".fi"]
    m = re.search(r"```c\n(.*?)```", open(readme, encoding="utf-8").read(),
                  re.S)
    if m:
        out += [".SH EXAMPLE", "A source, a transform on 8 workers and a "
                "sink (from the README):", ".PP", ".nf", ".RS 4"]
        out.extend(esc(ln) for ln in m.group(1).rstrip("\n").split("\n"))
        out += [".RE", ".fi"]
    out += [".SH ENVIRONMENT", ".TP", ".B PIPEFAN_SERIAL=1",
            "run every stage in the calling process, one after the other.",
            ".TP", ".B PIPEFAN_LOG",
            "the least severe level logged: error, warn, info or debug.",
            ".SH SEE ALSO", ".BR pipefan (1),", ".BR pipefan\\-run (1),",
            ".BR pipefan\\-logs (1)"]
    with open(outpath, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


main()
