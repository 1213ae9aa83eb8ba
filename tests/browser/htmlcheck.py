#!/usr/bin/env python3
"""htmlcheck.py CHECK PAGE [ARG] - checks of a pipefan logs --html page
that need no browser; exit 0 when it holds, else the reasons on stdout.

  structure PAGE        well-formed: every element closed in order, one
                        <style>, one inline script and one JSON data
                        block, no on* / style / src attribute, links only
                        to #fragments, strict UTF-8, no control bytes
  csp PAGE              the CSP meta is strict and names the SHA-256 of
                        the <style> and <script> bytes exactly
  json PAGE JSONFILE    the embedded JSON equals pipefan logs --json
  text PAGE STRING...   each STRING (Python escapes) is in the page's
                        text as text (after HTML unescaping, outside any
                        tag)
"""
import base64
import hashlib
import html.parser
import json
import re
import sys

VOID = {"meta", "br", "input", "img", "link", "hr", "wbr"}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags = [], [], []
        self.text, self.styles, self.scripts = [], [], []
        self.cur = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        for k, v in attrs:
            if k.startswith("on") or k in ("style", "src", "srcdoc",
                                           "action", "formaction"):
                self.errors.append("attribute %s on <%s>" % (k, tag))
            if k in ("href", "xlink:href") and not (v or "").startswith("#"):
                self.errors.append("link to %r" % v)
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("style", "script"):
            self.cur = (tag, dict(attrs), [])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (
                tag, self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()
        if self.cur and self.cur[0] == tag:
            (self.styles if tag == "style" else self.scripts).append(
                (self.cur[1], "".join(self.cur[2])))
            self.cur = None

    def handle_data(self, data):
        if self.cur:
            self.cur[2].append(data)
        else:
            self.text.append(data)


def load(path):
    raw = open(path, "rb").read()
    errs = []
    try:
        src = raw.decode("utf-8", "strict")
    except UnicodeDecodeError as e:
        return None, None, ["not UTF-8: %s" % e]
    bad = [c for c in set(src) if (ord(c) < 0x20 and c != "\n")
           or 0x7f <= ord(c) < 0xa0 or c in "\u2028\u2029\u202e"]
    if bad:
        errs.append("raw control or invisible characters: %r" % bad)
    p = Page()
    p.feed(src)
    p.close()
    return src, p, errs


def check_structure(path):
    src, p, errs = load(path)
    if p is None:
        return errs
    errs += p.errors
    if p.stack:
        errs.append("left open: %r" % p.stack)
    if not src.startswith("<!DOCTYPE html>"):
        errs.append("no doctype")
    if len(p.styles) != 1:
        errs.append("%d <style> elements" % len(p.styles))
    code = [s for s in p.scripts if s[0].get("type") != "application/json"]
    data = [s for s in p.scripts if s[0].get("type") == "application/json"]
    if len(code) != 1 or len(data) != 1:
        errs.append("%d scripts, %d data blocks" % (len(code), len(data)))
    tags = [t for t, _ in p.tags]
    for t in ("img", "iframe", "link", "object", "embed", "form", "base"):
        if t in tags:
            errs.append("a <%s> element" % t)
    return errs


def check_csp(path):
    src, p, errs = load(path)
    if p is None:
        return errs
    metas = [a for t, a in p.tags if t == "meta"
             and a.get("http-equiv", "").lower() == "content-security-policy"]
    if len(metas) != 1:
        return errs + ["%d CSP metas" % len(metas)]
    csp = metas[0]["content"]
    d = {x.split()[0]: x.split()[1:] for x in csp.split(";") if x.strip()}
    if d.get("default-src") != ["'none'"]:
        errs.append("default-src is %r" % d.get("default-src"))
    for name, body in (("style-src", p.styles[0][1]),
                       ("script-src", [s for s in p.scripts if s[0].get(
                           "type") != "application/json"][0][1])):
        h = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        if d.get(name) != ["'sha256-%s'" % h]:
            errs.append("%s is %r, the bytes hash to %s" % (name, d.get(name), h))
    for k in ("base-uri", "form-action"):
        if d.get(k) != ["'none'"]:
            errs.append("%s is %r" % (k, d.get(k)))
    if metas[0] is not [a for t, a in p.tags if t == "meta"][1]:
        errs.append("the CSP is not right after the charset")
    return errs


def check_json(path, jpath):
    src, p, errs = load(path)
    if p is None:
        return errs
    data = [s for s in p.scripts if s[0].get("type") == "application/json"]
    raw = data[0][1]
    if re.search("[<>&\u2028\u2029]", raw):
        errs.append("the data block holds a raw < > & or U+2028/9")
    want = json.load(open(jpath))
    got = json.loads(raw)
    if got != want:
        for k in sorted(set(want) | set(got)):
            if want.get(k) != got.get(k):
                errs.append("%s differs: page %.200r, --json %.200r" % (
                    k, got.get(k), want.get(k)))
    return errs


def check_text(path, strings):
    src, p, errs = load(path)
    if p is None:
        return errs
    text = "".join(p.text)
    for s in strings:
        s = s.encode().decode("unicode_escape").encode("latin-1").decode()
        if s not in text:
            errs.append("not in the page's text: %r" % s)
    return errs


def main():
    what, path = sys.argv[1], sys.argv[2]
    errs = {"structure": lambda: check_structure(path),
            "csp": lambda: check_csp(path),
            "json": lambda: check_json(path, sys.argv[3]),
            "text": lambda: check_text(path, sys.argv[3:])}[what]()
    for e in errs:
        print(e)
    sys.exit(1 if errs else 0)


main()
