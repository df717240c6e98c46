#!/usr/bin/env python3
"""Checks the include graph of src/ against the dependency table of src/README.md.

The table (section "## Dependency table") has one row per module:

    | module | may include |
    |---|---|
    | ledger | core, crypto, storage (unit_of_work.hpp, page.hpp), audit, ... |

A module's files may include their own module's headers, and the headers of the modules named
in its row; a name followed by a list in parentheses allows only those files of that module.
Includes are the quoted `#include "<module>/<path>"` lines of src/<module>/ and of the public
headers include/loyalty/<module>/; `"loyalty/<module>/..."` counts as <module>. Every folder of
src/ must have a row, so a new module cannot escape the check.

Usage: check_deps.py [--root DIR]   exit 0 when every include is allowed, 1 otherwise.
       check_deps.py --self-test    proves the check fails on bad includes (and passes good ones).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
ITEM_RE = re.compile(r"\s*([a-z_][a-z0-9_]*)\s*(?:\(([^)]*)\))?\s*(?:,|$)")
SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".cc", ".inc"}


class TableError(Exception):
    pass


def parse_table(readme_text: str) -> dict[str, dict[str, set[str] | None]]:
    """module -> {allowed module -> None (any file) or the set of allowed file names}."""
    m = re.search(r"^## Dependency table\s*$(.*?)(?=^## |\Z)", readme_text, re.MULTILINE | re.DOTALL)
    if not m:
        raise TableError("src/README.md has no '## Dependency table' section")
    table: dict[str, dict[str, set[str] | None]] = {}
    for line in m.group(1).splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) < 2 or set(cells[0]) <= {"-", ":"} or cells[0].lower() == "module":
            continue
        module = cells[0].strip("`* ")
        if module in table:
            raise TableError(f"module '{module}' has two rows")
        allowed: dict[str, set[str] | None] = {}
        text = cells[1].replace("`", "")
        pos = 0
        while pos < len(text):
            if text[pos:].strip() in ("", "-", "nothing"):
                break
            im = ITEM_RE.match(text, pos)
            if not im or im.end() == pos:
                raise TableError(f"row '{module}': cannot read '{text[pos:]}'")
            name, files = im.group(1), im.group(2)
            if files is None:
                allowed[name] = None
            else:
                allowed.setdefault(name, set())
                if allowed[name] is not None:
                    allowed[name] |= {f.strip() for f in files.split(",") if f.strip()}
            pos = im.end()
        table[module] = allowed
    if not table:
        raise TableError("the dependency table has no rows")
    return table


def included_module(path: str) -> tuple[str, str] | None:
    """(module, file path inside the module) of an include, or None for a non-module include."""
    parts = path.split("/")
    if parts[0] == "loyalty" and len(parts) >= 3:
        return parts[1], "/".join(parts[2:])
    if len(parts) >= 2:
        return parts[0], "/".join(parts[1:])
    return None


def source_files(root: Path):
    """(module, file) of every source file of src/<module>/ and include/loyalty/<module>/."""
    for base in (root / "src", root / "include" / "loyalty"):
        if not base.is_dir():
            continue
        for f in sorted(base.rglob("*")):
            if f.is_file() and f.suffix in SOURCE_SUFFIXES:
                rel = f.relative_to(base)
                if len(rel.parts) >= 2:
                    yield rel.parts[0], f


def check(root: Path) -> list[str]:
    table = parse_table((root / "src" / "README.md").read_text(encoding="utf-8"))
    errors = []
    for d in sorted((root / "src").iterdir()):
        if d.is_dir() and d.name not in table:
            errors.append(f"src/{d.name}/: module has no row in the dependency table of src/README.md")
    for module, f in source_files(root):
        allowed = table.get(module)
        if allowed is None:
            continue  # reported above (or a public header folder without a src/ module)
        text = f.read_text(encoding="utf-8", errors="replace")
        for im in INCLUDE_RE.finditer(text):
            inc = im.group(1)
            target = included_module(inc)
            if target is None:
                continue
            dep, inner = target
            if dep == module or (dep not in table and not (root / "src" / dep).is_dir()):
                continue  # own module, or not a module (a third-party header)
            line = text.count("\n", 0, im.start()) + 1
            where = f"{f.relative_to(root)}:{line}"
            if dep not in allowed:
                errors.append(f"{where}: {module} must not include {dep} (\"{inc}\")")
                continue
            files = allowed[dep]
            if files is not None and Path(inner).name not in files and inner not in files:
                errors.append(
                    f"{where}: {module} may include only {', '.join(sorted(files))} of {dep}, not \"{inc}\"")
    return errors


def self_test() -> int:
    """Builds small trees and checks that bad includes are reported and good ones are not."""
    readme = """# x

## Dependency table

| module | may include |
|---|---|
| core | nothing |
| storage | core, ledger (ledger_store.hpp) |
| ledger | core, storage (unit_of_work.hpp) |
| ai | core, ledger |

## Next
"""
    cases = [
        # (files, expected number of errors, what it shows)
        ({"core/a.hpp": '#include "core/b.hpp"\n#include <vector>\n', "core/b.hpp": ""}, 0, "own module"),
        ({"ledger/l.cpp": '#include "storage/unit_of_work.hpp"\n#include "core/x.hpp"\n'}, 0, "allowed file"),
        ({"storage/s.cpp": '#include "ledger/ledger_store.hpp"\n'}, 0, "allowed store header"),
        ({"core/a.hpp": '#include "ledger/ledger.hpp"\n'}, 1, "upward include"),
        ({"ledger/l.cpp": '#include "storage/sqlite.hpp"\n'}, 1, "file not in the list"),
        ({"storage/s.cpp": '#include "ledger/ledger.hpp"\n'}, 1, "other file of a listed module"),
        ({"ledger/l.cpp": '#  include "ai/ai.hpp"\n'}, 1, "spaced directive"),
        ({"ai/a.cpp": '#include "loyalty/storage/options.hpp"\n'}, 1, "public header of a module"),
        ({"newmod/n.cpp": ""}, 1, "module without a row"),
    ]
    failures = 0
    for files, expected, what in cases:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "src").mkdir()
            (root / "src" / "README.md").write_text(readme)
            for m in ("core", "storage", "ledger", "ai"):
                (root / "src" / m).mkdir()
            for name, text in files.items():
                p = root / "src" / name
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
            errors = check(root)
            ok = len(errors) == expected
            print(f"{'ok  ' if ok else 'FAIL'} {what}: {len(errors)} error(s), expected {expected}"
                  + "".join(f"\n       {e}" for e in errors))
            failures += not ok
    try:
        parse_table("# no table here\n")
        print("FAIL a README without the table is refused")
        failures += 1
    except TableError:
        print("ok   a README without the table is refused")
    return 1 if failures else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    try:
        errors = check(args.root)
    except TableError as e:
        print(f"check_deps: {e}", file=sys.stderr)
        return 1
    for e in errors:
        print(e)
    if errors:
        print(f"check_deps: {len(errors)} include(s) break the dependency table of src/README.md", file=sys.stderr)
        return 1
    print("check_deps: every include of src/ follows the dependency table of src/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
