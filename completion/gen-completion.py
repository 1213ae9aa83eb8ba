#!/usr/bin/env python3
"""gen-completion.py PIPEFAN OUT - write the bash completion of pipefan
from the built binary's own --help texts: the commands from
`pipefan --help`, each command's options from `pipefan CMD --help`, the
panel names from the --panels line, the format names from the --format
line, the choices of options written `--opt a|b|c`, and file arguments
of options written `--opt FILE`.  Nothing is copied by hand, so the
completion follows the help text."""
import os
import re
import subprocess
import sys


def help_of(pipefan, *args):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", COLUMNS="80",
               LC_ALL="C")
    r = subprocess.run([pipefan, *args, "--help"], capture_output=True,
                       text=True, env=env, check=True)
    return r.stdout


def commands(text):
    out, on = [], False
    for ln in text.splitlines():
        if re.match(r"^commands:", ln):
            on = True
        elif on and re.match(r"^  ([a-z][a-z-]*)\s{2,}", ln):
            out.append(ln.split()[0])
        elif on and ln and not ln.startswith(" "):
            on = False
    return out


def option_lines(text):
    """Each option's entry: its first line with continuation lines."""
    entries = []
    for ln in text.splitlines():
        if re.match(r"^\s{1,6}-", ln):
            entries.append(ln.strip())
        elif entries and re.match(r"^\s{8,}\S", ln):
            entries[-1] += " " + ln.strip()
        elif not ln.startswith(" "):
            entries.append("")
    return [e for e in entries if e]


def options(text):
    opts = []
    for e in option_lines(text):
        # the option names: the tokens up to the description, plus a
        # second option named on the same line after ';'
        for part in re.split(r";\s+", e):
            head = re.split(r"\s{2,}", part)[0]
            for tok in re.findall(r"(?:^|[\s,])(--?[A-Za-z0-9][A-Za-z0-9-]*)",
                                  head):
                if tok not in opts:
                    opts.append(tok)
    return opts


def words_after(text, pattern):
    """The items of the comma list in an option's entry that are single
    names ("auto", "combined", not "or a log_format string"),
    parenthesised remarks dropped."""
    for e in option_lines(text):
        m = re.match(pattern, e)
        if m:
            body = re.sub(r"\([^)]*\)", "", e[m.end():])
            return [w.strip() for w in body.split(",")
                    if re.fullmatch(r"[a-z][a-z_0-9]*", w.strip())]
    return []


def main():
    pipefan, outpath = sys.argv[1:3]
    top = help_of(pipefan)
    cmds = commands(top)
    per = {c: help_of(pipefan, c) for c in cmds}
    lines = [
        "# bash completion for pipefan, generated at build time from the",
        "# --help texts of pipefan and its commands (completion/"
        "gen-completion.py).",
        "",
        "_pipefan()",
        "{",
        "    local cur prev cmd i",
        "    cur=${COMP_WORDS[COMP_CWORD]}",
        "    prev=${COMP_WORDS[COMP_CWORD-1]}",
        "    cmd=",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        "        case ${COMP_WORDS[i]} in",
        "        -*) ;;",
        "        *) cmd=${COMP_WORDS[i]}; break ;;",
        "        esac",
        "    done",
        "    case $cmd in",
        '    "")',
        '        COMPREPLY=($(compgen -W "%s --help --version" -- "$cur"))'
        % " ".join(cmds),
        "        return ;;",
    ]
    for c in cmds:
        text = per[c]
        opts = options(text)
        lines.append("    %s)" % c)
        lines.append("        case $prev in")
        panels = []
        if c == "logs":
            # "--panels LIST  comma list of: a b c (default all)"
            m = re.search(r"comma list of:(.*?)\(default", " ".join(
                text.split()), re.S)
            panels = m.group(1).split() if m else []
            fmts = words_after(text, r"--format F\s+")
            lines += [
                "        --panels)",
                '            local pre=""',
                '            [[ $cur == *,* ]] && pre=${cur%,*},',
                '            COMPREPLY=($(compgen -P "$pre" -W "%s" -- '
                '"${cur##*,}"))' % " ".join(panels),
                "            return ;;",
                "        --format)",
                '            COMPREPLY=($(compgen -W "%s" -- "$cur"))'
                % " ".join(fmts),
                "            return ;;",
                "        --csv)",
                '            COMPREPLY=($(compgen -W "%s" -- "$cur") '
                '$(compgen -d -S / -- "$cur"))' % " ".join(panels),
                "            return ;;",
            ]
        for e in option_lines(text):
            for m in re.finditer(r"(--[a-z-]+)[ =]([a-z]+(?:\|[a-z]+)+)\b", e):
                lines += ["        %s)" % m.group(1),
                          '            COMPREPLY=($(compgen -W "%s" -- "$cur"))'
                          % m.group(2).replace("|", " "),
                          "            return ;;"]
            for m in re.finditer(r"(--[a-z-]+) FILE\b", e):
                lines += ["        %s)" % m.group(1),
                          '            COMPREPLY=($(compgen -f -- "$cur"))',
                          "            return ;;"]
        lines += [
            "        esac",
            "        if [[ $cur == -* ]]; then",
            '            COMPREPLY=($(compgen -W "%s" -- "$cur"))'
            % " ".join(opts),
            "        else",
            '            COMPREPLY=($(compgen -f -- "$cur"))',
            "        fi",
            "        return ;;",
        ]
    lines += ["    esac", "}", "complete -o filenames -F _pipefan pipefan", ""]
    if not cmds or any(not options(per[c]) for c in cmds):
        sys.exit("gen-completion: no commands or options found in --help")
    with open(outpath, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


main()
