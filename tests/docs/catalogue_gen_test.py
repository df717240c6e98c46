#!/usr/bin/env python3
"""Tests of scripts/catalogue_gen.py on a copy of the repository's catalogue and generated files.

    catalogue_gen_test.py REPO_ROOT     (exit 0 when every case holds; 1 naming the failed ones)

Each case changes the copy the way a contributor might, and checks that `check` fails naming the
file (or that the generator refuses the catalogue with a message naming the problem), and that
`write` brings the copy back to a state `check` accepts.
"""
from __future__ import annotations

import ast
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

COPY = ["capi/ops", "capi/include/loyalty.h", "capi/loyalty.symbols", "bindings/python/loyalty/_ops.py",
        "bindings/python/loyalty/_ops.pyi", "bindings/python/loyalty/catalogue.json", "docs/api",
        "docs/abi.md", "docs/tenancy.md", "docs/python.md", "docs/schema", "scripts/catalogue_gen.py"]

failures: list[str] = []


def run(root: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "scripts" / "catalogue_gen.py"), *args, "--root", str(root)],
                          capture_output=True, text=True)


def fresh(repo: pathlib.Path, tmp: pathlib.Path) -> pathlib.Path:
    root = tmp / "repo"
    if root.exists():
        shutil.rmtree(root)
    for rel in COPY:
        src, dst = repo / rel, root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    return root


def expect(name: str, cond: bool, detail: str = "") -> None:
    if not cond:
        failures.append(f"{name}: {detail}")


def edit_json(path: pathlib.Path, fn) -> None:
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data, indent=2))


def main() -> int:
    repo = pathlib.Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as t:
        tmp = pathlib.Path(t)

        root = fresh(repo, tmp)
        r = run(root, "check")
        expect("unchanged copy is current", r.returncode == 0, r.stderr)

        # A hand edit inside a generated region of loyalty.h.
        h = root / "capi/include/loyalty.h"
        h.write_text(h.read_text().replace("LOY_API int loy_ledger_earn(", "LOY_API int loy_ledger_earnx(", 1))
        r = run(root, "check")
        expect("edited header region is stale", r.returncode == 1 and "capi/include/loyalty.h:" in r.stderr, r.stderr)
        run(root, "write")
        r = run(root, "check")
        expect("write repairs the header", r.returncode == 0 and "loy_ledger_earn(" in h.read_text(), r.stderr)

        # An operation removed from the catalogue disappears from every generated file.
        root = fresh(repo, tmp)
        edit_json(root / "capi/ops/ledger.json",
                  lambda d: d.__setitem__("operations", [o for o in d["operations"] if o["name"] != "ledger.entry"]))
        r = run(root, "check")
        for rel in ("capi/include/loyalty.h", "capi/loyalty.symbols", "bindings/python/loyalty/_ops.py",
                    "bindings/python/loyalty/_ops.pyi", "docs/api/ledger.md", "docs/abi.md", "docs/tenancy.md"):
            expect(f"removed operation makes {rel} stale", f"{rel}:" in r.stderr, r.stderr)
        run(root, "write")
        expect("removed operation leaves the symbols", "loy_ledger_entry\n" not in
               (root / "capi/loyalty.symbols").read_text())
        out = tmp / "out"
        r = run(root, "build", "--out", str(out))
        expect("build after write succeeds", r.returncode == 0, r.stderr)
        inc = (out / "loyalty_ops.inc").read_text()
        table = (out / "op_catalogue.inc").read_text()
        expect("wrapper gone", "loy_ledger_entry" not in inc and 'LOY_SESSION_OP(loy_ledger_earn, "ledger.earn")' in inc)
        expect("engine table row gone", '"ledger.entry"' not in table and
               '{CatalogueHandle::session, "ledger.earn", kScopePos},' in table, table[:400])
        expect("events.poll has no generated wrapper (own signature)", "loy_events_poll" not in inc)

        # The build fails on a stale file, and says how to fix it.
        (root / "docs/api/ledger.md").write_text("hand-written\n")
        r = run(root, "build", "--out", str(out))
        expect("build fails on a stale file", r.returncode == 1 and "docs/api/ledger.md:1" in r.stderr
               and "catalogue_gen.py write" in r.stderr, r.stderr)

        # A page under docs/api that no module generates.
        root = fresh(repo, tmp)
        (root / "docs/api/orphan.md").write_text("# old\n")
        r = run(root, "check")
        expect("orphan page reported", r.returncode == 1 and "docs/api/orphan.md" in r.stderr, r.stderr)

        # Catalogue mistakes the generator refuses, naming them.
        def refused(name: str, edit, words: list[str], rel: str = "capi/ops/ledger.json") -> None:
            root = fresh(repo, tmp)
            edit_json(root / rel, edit)
            r = run(root, "write")
            msg = r.stdout + r.stderr
            expect(name, r.returncode != 0 and all(w in msg for w in words), msg[-600:])

        def dup_c_name(d):
            d["operations"][1]["c_name"] = d["operations"][0]["c_name"]
        refused("duplicate c_name", dup_c_name, ["C names used twice", "loy_ledger_earn"])

        def foreign_prefix(d):
            d["operations"][0]["name"] = "points.earn"
        refused("operation outside its namespaces", foreign_prefix, ["points.earn", "no namespace"])

        def empty_namespace(d):
            d["namespaces"].append({"name": "bucket", "handle": "session", "doc": "nothing"})
        refused("namespace without operations", empty_namespace, ["session.bucket", "no operation"])

        def unlisted_module(d):
            d["modules"].remove("tiers")
        refused("module missing from abi.json", unlisted_module, ["modules", "tiers"], "capi/ops/abi.json")

        # A missing region marker.
        root = fresh(repo, tmp)
        t = root / "docs/tenancy.md"
        t.write_text(t.read_text().replace("<!-- @generated end -->", "", 1))
        r = run(root, "check")
        expect("missing end marker", r.returncode != 0 and "scope table" in r.stdout + r.stderr, r.stderr)

        # The generated Python is valid, and the stub types every method with its input fields.
        root = fresh(repo, tmp)
        ops_py = (root / "bindings/python/loyalty/_ops.py").read_text()
        stub = (root / "bindings/python/loyalty/_ops.pyi").read_text()
        compile(ops_py, "_ops.py", "exec")
        tree = ast.parse(stub)
        classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        ledger = classes.get("LedgerOps")
        expect("stub has LedgerOps", ledger is not None)
        if ledger:
            earn = next((f for f in ledger.body if isinstance(f, ast.FunctionDef) and f.name == "earn"), None)
            expect("stub types ledger.earn", earn is not None and
                   [a.arg for a in earn.args.kwonlyargs][:2] == ["customer_id", "points"] and
                   ast.unparse(earn.returns) == "EntryResult", ast.dump(earn) if earn else "no earn")
        n_ops = sum(len(json.loads(p.read_text()).get("operations", [])) for p in (root / "capi/ops").glob("*.json")
                    if not p.name.endswith(".schema.json"))
        n_methods = sum(1 for c in classes.values() if c.name.endswith("Ops")
                        for f in c.body if isinstance(f, ast.FunctionDef))
        expect("a stub method per operation", n_methods == n_ops, f"{n_methods} methods, {n_ops} operations")

    for f in failures:
        print("FAIL " + f)
    print(f"catalogue_gen_test: {'ok' if not failures else str(len(failures)) + ' failure(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
