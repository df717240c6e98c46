#!/usr/bin/env python3
"""docs/abi.md and docs/tenancy.md against the code, so the operation lists cannot drift.

Checks that
- every exported function of capi/loyalty.symbols is named in docs/abi.md;
- every operation of the engine's operation tables (the `constexpr OpDef k*Ops[]` tables in
  src/*/) has a row in the operation tables of docs/abi.md giving its C function (from the
  LOY_SESSION_OP / LOY_ADMIN_OP lines of capi/src/loyalty_c.cpp) and its scope, and that every
  such row names a real operation;
- the scope table of docs/tenancy.md lists every session operation under its scope, and nothing else.

    check_abi_doc.py REPO_ROOT        (exit 0 when all hold; 1 with one line per problem)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Dict, List, Tuple

SCOPES = {"kScopeRead": "read", "kScopePos": "pos", "kScopeAdmin": "admin"}
ADMIN = "engine admin"  # the scope column of admin operations in docs/abi.md


def engine_operations(root: Path) -> Dict[Tuple[str, str], str]:
    """(handle, operation) -> scope, handle "session" or "admin", from the OpDef tables of src/."""
    ops: Dict[Tuple[str, str], str] = {}
    table = re.compile(r"constexpr\s+OpDef\s+(k\w*Ops)\s*\[\]\s*=\s*\{(.*?)\n\};", re.S)
    entry = re.compile(r'\{\s*"([a-z_.]+)"\s*,\s*[^,{}]+,\s*(\w+)\s*(?:,\s*\w+\s*)?\}')  # optional text handler
    for path in sorted((root / "src").rglob("*.cpp")):
        for name, body in table.findall(path.read_text()):
            handle = "admin" if name == "kAdminOps" else "session"
            for op, scope in entry.findall(body):
                ops[(handle, op)] = ADMIN if handle == "admin" else SCOPES.get(scope, scope)
    return ops


def c_functions(root: Path) -> Dict[Tuple[str, str], str]:
    """(handle, operation) -> the C function that runs it."""
    text = (root / "capi/src/loyalty_c.cpp").read_text()
    out: Dict[Tuple[str, str], str] = {}
    if '#include "catalogue/loyalty_ops.inc"' in text:  # the rows generated at build time
        sys.path.insert(0, str(root / "scripts"))
        import catalogue_gen

        text += catalogue_gen.c_wrappers(catalogue_gen.Catalogue(root))
    for kind, fn, op in re.findall(r'^LOY_(ADMIN|SESSION)_OP\((loy_\w+),\s*"([a-z_.]+)"\)', text, re.M):
        out[(kind.lower(), op)] = fn
    for fn, op in re.findall(r'^int (loy_\w+)\(loy_session\*[^{]*\{(?:(?!\n\}).)*?session\.call\("([a-z_.]+)"', text, re.M | re.S):
        out.setdefault(("session", op), fn)
    return out


def main(root: Path) -> int:
    problems: List[str] = []
    abi = (root / "docs/abi.md").read_text()
    tenancy = (root / "docs/tenancy.md").read_text()

    symbols = [s for s in (root / "capi/loyalty.symbols").read_text().split() if s]
    for s in symbols:
        if f"`{s}`" not in abi and f"`{s}(" not in abi:
            problems.append(f"docs/abi.md does not name the exported function {s}")

    ops = engine_operations(root)
    fns = c_functions(root)
    if len(ops) < 10:
        problems.append(f"found only {len(ops)} operations in the OpDef tables of src/: the parser needs updating")
    # Rows of the operation tables: | `op` | `loy_fn` | scope | handle |
    rows: Dict[Tuple[str, str], Tuple[str, str]] = {}
    for op, fn, scope, handle in re.findall(
        r"^\|\s*`([a-z_]+\.[a-z_.]+)`\s*\|\s*`(loy_\w+)`\s*\|\s*([a-z ]+?)\s*\|\s*(session|admin)\s*\|", abi, re.M
    ):
        rows[(handle, op)] = (fn, scope)
    for key, scope in sorted(ops.items()):
        handle, op = key
        if key not in rows:
            problems.append(f"docs/abi.md has no row for the {handle} operation {op}")
            continue
        fn, doc_scope = rows[key]
        if doc_scope != scope:
            problems.append(f"docs/abi.md gives {handle} operation {op} the scope '{doc_scope}', the code '{scope}'")
        if fns.get(key) and fns[key] != fn:
            problems.append(f"docs/abi.md runs {handle} operation {op} with {fn}, the C ABI with {fns[key]}")
        if fn not in symbols:
            problems.append(f"docs/abi.md names {fn} for {op}, which is not in capi/loyalty.symbols")
    for key in sorted(set(rows) - set(ops)):
        problems.append(f"docs/abi.md has a row for {key[0]} operation {key[1]}, which the engine does not have")
    for key in sorted(set(fns) - set(ops)):
        problems.append(f"capi/src/loyalty_c.cpp maps {fns[key]} to {key[0]} operation {key[1]}, not in any OpDef table")

    # docs/tenancy.md: | `read` | `session.info`, ... |
    listed: Dict[str, str] = {}
    for scope, cell in re.findall(r"^\|\s*`(read|pos|admin)`\s*\|(.*)\|\s*$", tenancy, re.M):
        for op in re.findall(r"`([a-z_]+\.[a-z_.]+)`", cell):
            if op in listed:
                problems.append(f"docs/tenancy.md lists {op} under two scopes")
            listed[op] = scope
    session_ops = {op: scope for (handle, op), scope in ops.items() if handle == "session"}
    for op, scope in sorted(session_ops.items()):
        if op not in listed:
            problems.append(f"docs/tenancy.md's scope table does not list {op} (scope {scope})")
        elif listed[op] != scope:
            problems.append(f"docs/tenancy.md lists {op} under '{listed[op]}', the code requires '{scope}'")
    for op in sorted(set(listed) - set(session_ops)):
        problems.append(f"docs/tenancy.md's scope table lists {op}, which is not a session operation")

    for p in problems:
        print(p)
    if not problems:
        print(f"docs/abi.md names all {len(symbols)} exported functions and {len(ops)} operations; "
              f"docs/tenancy.md gives the scope of all {len(session_ops)} session operations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])))
