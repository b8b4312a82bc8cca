#!/usr/bin/env python3
"""Lists pairs of files of a crate that import each other.

A file "imports" another when it names one of that file's paths
(`crate::a::b`, `super::x`, `use crate::{a, b}` …). Paths are mapped to
files by the module tree under `src/`. Exit 1 when a file imports a file
that imports it back.

Usage: python3 scripts/import_cycles.py monitor-runtime/src
"""
import os
import re
import sys


def module_files(src):
    """Maps module paths ('pipeline::worker') to files."""
    files = {}
    for root, _, names in os.walk(src):
        for name in names:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel[-1] in ("mod", "lib", "main"):
                rel = rel[:-1]
            files["::".join(rel)] = path
    return files


def strip_tests(text):
    """Drops `#[cfg(test)] mod tests { … }` at the end of a file and comments."""
    text = re.sub(r"#\[cfg\((all\()?test[^\]]*\]\s*mod \w+ \{.*", "", text, flags=re.S)
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def paths_in(text, module):
    """Module paths named by a file, resolved against its own module."""
    found = set()
    for match in re.finditer(r"\b(crate|super|self)((?:::\w+)+)", text):
        head, tail = match.group(1), match.group(2).strip(":").split("::")
        base = [] if head == "crate" else module.split("::") if module else []
        if head == "super":
            base = base[:-1]
        found.add("::".join(p for p in base + tail if p))
    # `use crate::{a, b::c}` groups
    for match in re.finditer(r"use (crate|super)::\{([^}]*)\}", text):
        head = match.group(1)
        base = [] if head == "crate" else module.split("::")[:-1]
        for item in match.group(2).split(","):
            item = item.strip().split(" as ")[0]
            if item:
                found.add("::".join(base + item.split("::")))
    return found


def owner(path, files):
    """The file that defines the longest module prefix of `path`."""
    parts = path.split("::")
    for n in range(len(parts), -1, -1):
        candidate = "::".join(parts[:n])
        if candidate in files:
            return candidate
    return None


def main(src):
    files = module_files(src)
    imports = {}
    for module, path in files.items():
        with open(path, encoding="utf-8") as f:
            text = strip_tests(f.read())
        targets = {owner(p, files) for p in paths_in(text, module)}
        # A parent declaring its children (`mod x;`) is not an import of them.
        imports[module] = {t for t in targets if t is not None and t != module}
    cycles = sorted(
        (a, b) for a in imports for b in imports[a] if a < b and a in imports.get(b, set())
    )
    for a, b in cycles:
        print(f"{files[a]} <-> {files[b]}")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "monitor-runtime/src"))
