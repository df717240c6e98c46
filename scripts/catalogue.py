#!/usr/bin/env python3
"""The operation catalogue (capi/ops/*.json): checks it against the code, and runs its examples.

  scripts/catalogue.py check [--root DIR]
      Every catalogue file matches capi/ops/catalogue.schema.json; every input and output is a valid
      JSON Schema (draft 2020-12) whose $refs resolve; operation names are unique per handle; the
      operations equal the rows of the kOps tables in src/ (name and scope); the c_names and the
      functions of abi.json equal capi/loyalty.symbols, each once; every c_name is declared in
      capi/include/loyalty.h and runs its operation in capi/src/loyalty_c.cpp; @since agrees with
      the header; each doc states its scope and names only listed statuses; every example (and setup step) validates against its operation's input schema
      and names only earlier results in its placeholders; every operation is in the Python op table
      (bindings/python/loyalty/_ops.py).

  scripts/catalogue.py examples --lib PATH/libloyalty.so [--root DIR] [--only NAME ...]
      Runs every operation's example, after the fixture and its example_setup, on a fresh in-memory
      engine through the public C ABI (ctypes: the operation's own loy_* function, and
      loy_admin_call / loy_session_call), and validates
      every result (setup steps included) against the operation's output schema; then the example
      with an unknown field added, without each of its required fields, and with each field of
      the wrong JSON type, must be refused by the input schema and by the engine (LOY_EINVALID
      naming the field); and the example with its absent optional fields as null must work.

Needs Python 3.11 and jsonschema (>= 4.18, with referencing); exits 77 (skipped) without it.
docs/catalogue.md describes the format.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import ctypes
import json
import pathlib
import re
import sys

try:
    import jsonschema
    import referencing
    import referencing.jsonschema
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover
    print("catalogue: the Python package jsonschema (>= 4.18) is not installed; skipped")
    sys.exit(77)

SCOPES = {"kScopeRead": "read", "kScopePos": "pos", "kScopeAdmin": "admin", "0": "engine-admin"}
PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*)((?:\.[A-Za-z0-9_]+)*)\}")


class Catalogue:
    def __init__(self, root: pathlib.Path):
        self.root = root
        self.dir = root / "capi" / "ops"
        self.files: dict[str, dict] = {}  # relative path -> content
        self.errors: list[str] = []
        self.warnings: list[str] = []
        for p in sorted(self.dir.glob("*.json")):
            if p.name.endswith(".schema.json"):
                continue
            rel = str(p.relative_to(root))
            try:
                self.files[rel] = json.loads(p.read_text())
            except json.JSONDecodeError as e:
                self.error(rel, None, f"not JSON: {e}")
        self.registry = self._registry()

    # -- reporting ---------------------------------------------------------------------------
    def error(self, file, op, message):
        self.errors.append(f"{file}: {op['name'] + ' (' + op['scope'] + '): ' if op else ''}{message}")

    # -- loading -----------------------------------------------------------------------------
    def _registry(self) -> referencing.Registry:
        """Every *.schema.json under capi/ops and docs/schema, by file URI (and by $id)."""
        resources = []
        for base in (self.dir, self.root / "docs" / "schema"):
            for p in sorted(base.rglob("*.schema.json")):
                contents = json.loads(p.read_text())
                res = referencing.Resource.from_contents(
                    contents, default_specification=referencing.jsonschema.DRAFT202012)
                resources.append((p.resolve().as_uri(), res))
                if isinstance(contents, dict) and "$id" in contents:
                    resources.append((contents["$id"], res))
        return referencing.Registry().with_resources(resources)

    def operations(self):
        """(file, operation) for every operation of every file."""
        for rel, content in self.files.items():
            for op in content.get("operations", []) if isinstance(content, dict) else []:
                if isinstance(op, dict) and "name" in op and "scope" in op:
                    yield rel, op

    def op_index(self):
        return {(handle_of(op), op["name"]): (rel, op) for rel, op in self.operations()}

    def base_uri(self, rel):
        return (self.root / rel).resolve().as_uri()

    def validator(self, rel, schema) -> Draft202012Validator:
        """A validator of `schema` with $refs resolved relative to the file it is in."""
        if isinstance(schema, dict):
            schema = dict(schema)
            schema.setdefault("$id", self.base_uri(rel))
        return Draft202012Validator(schema, registry=self.registry,
                                    format_checker=Draft202012Validator.FORMAT_CHECKER)


def handle_of(op):
    return "admin" if op.get("scope") == "engine-admin" else "session"


def refs_in(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from refs_in(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs_in(v)


def fmt_error(e: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in e.absolute_path) or "(top)"
    return f"at {where}: {e.message}"


# ------------------------------------------------------------------------------------------------
# check

def parse_kops(root: pathlib.Path):
    """{(handle, name): (file, scope)} from every `constexpr OpDef <table>[] = {...};` of src/."""
    found = {}
    dupes = []
    for p in sorted((root / "src").rglob("*.cpp")):
        text = p.read_text()
        for table in re.finditer(r"constexpr\s+OpDef\s+\w+\[\]\s*=\s*\{(.*?)\n\};", text, re.S):
            for row in re.finditer(r'\{\s*"([a-z_.]+)"\s*,\s*[^,{}]+?,\s*(kScope\w+|0)\s*(?:,\s*\w+\s*)?\}', table.group(1)):
                scope = SCOPES.get(row.group(2), row.group(2))
                key = ("admin" if scope == "engine-admin" else "session", row.group(1))
                if key in found:
                    dupes.append(key)
                found[key] = (str(p.relative_to(root)), scope)
    return found, dupes


def header_functions(root):
    """{c_name: @since or None} of every LOY_API function declared in loyalty.h."""
    text = (root / "capi" / "include" / "loyalty.h").read_text()
    out = {}
    for m in re.finditer(r"/\*\*((?:(?!\*/).)*?)\*/\s*LOY_API\s+[^;(]*?\b(loy_[a-z0-9_]+)\s*\(", text, re.S):
        since = re.search(r"@since\s+([0-9.]+)", m.group(1))
        out[m.group(2)] = since.group(1) if since else None
    for m in re.finditer(r"LOY_API\s+[^;(]*?\b(loy_[a-z0-9_]+)\s*\(", text):
        out.setdefault(m.group(1), None)
    return out


def header_signatures(root):
    """{c_name: "int loy_x(loy_session *session, ...)"} with whitespace normalised."""
    text = (root / "capi" / "include" / "loyalty.h").read_text()
    out = {}
    for m in re.finditer(r"LOY_API\s+([^;(]*?)\b(loy_[a-z0-9_]+)\s*\(([^)]*)\)\s*;", text):
        ret = " ".join(m.group(1).split())
        out[m.group(2)] = f"{ret}{'' if ret.endswith('*') else ' '}{m.group(2)}({' '.join(m.group(3).split())})"
    return out


def c_wrappers(root):
    """{c_name: (handle, op name)} from capi/src/loyalty_c.cpp: the LOY_*_OP rows (generated by
    catalogue_gen.py into the build's loyalty_ops.inc) and the functions that call an operation by
    name themselves."""
    text = (root / "capi" / "src" / "loyalty_c.cpp").read_text()
    if '#include "catalogue/loyalty_ops.inc"' in text:  # the rows generated at build time
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
        import catalogue_gen
        text += catalogue_gen.c_wrappers(catalogue_gen.Catalogue(root))
    out = {}
    for m in re.finditer(r'LOY_(ADMIN|SESSION)_OP\((loy_[a-z0-9_]+),\s*"([a-z_.]+)"\)', text):
        out[m.group(2)] = (m.group(1).lower(), m.group(3))
    for m in re.finditer(r"^int (loy_[a-z0-9_]+)\(loy_(session|admin)\*[^)]*\)\s*\{(.*?)^\}", text, re.S | re.M):
        call = re.search(r'(?:session|admin)\.call\("([a-z_.]+)"', m.group(3))
        if call:
            out[m.group(1)] = (m.group(2), call.group(1))
    return out


def check_placeholders(cat, rel, op, value, known, where):
    if isinstance(value, dict):
        for v in value.values():
            check_placeholders(cat, rel, op, v, known, where)
    elif isinstance(value, list):
        for v in value:
            check_placeholders(cat, rel, op, v, known, where)
    elif isinstance(value, str):
        for m in PLACEHOLDER.finditer(value):
            if m.group(1) not in known:
                cat.error(rel, op, f"{where}: placeholder {m.group(0)} names no earlier result "
                                   f"(known: {', '.join(sorted(known))})")
        if "${" in value and not PLACEHOLDER.fullmatch(value) and PLACEHOLDER.search(value) is None:
            cat.error(rel, op, f"{where}: malformed placeholder in {value!r}")


def check(root: pathlib.Path) -> int:
    cat = Catalogue(root)
    meta_path = cat.dir / "catalogue.schema.json"
    meta = json.loads(meta_path.read_text())
    Draft202012Validator.check_schema(meta)
    meta_v = Draft202012Validator(meta)
    if not cat.files:
        cat.error("capi/ops", None, "no catalogue files")

    # 1. every file matches the meta-schema
    for rel, content in cat.files.items():
        for e in sorted(meta_v.iter_errors(content), key=lambda e: list(e.absolute_path)):
            cat.error(rel, None, f"does not match catalogue.schema.json {fmt_error(e)}")
        if isinstance(content, dict) and content.get("module") != pathlib.Path(rel).stem:
            cat.error(rel, None, f"module {content.get('module')!r} differs from the file name")
        for op in content.get("operations", []) if isinstance(content, dict) else []:
            if isinstance(op, dict) and op.get("module") != content.get("module"):
                cat.error(rel, op if "scope" in op else None, f"module {op.get('module')!r} differs from the file's")

    # shared schemas: valid, and their $refs resolve
    for p in sorted(cat.dir.glob("*.schema.json")):
        rel = str(p.relative_to(root))
        schema = json.loads(p.read_text())
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            cat.error(rel, None, f"not a valid draft 2020-12 schema: {e.message}")
        resolve_refs(cat, rel, None, schema, "")

    # 2. input and output schemas
    broken = set()  # (id of op, part) whose schema is invalid: not used for validation below
    for rel, op in cat.operations():
        for part in ("input", "output"):
            if part not in op:
                continue
            try:
                Draft202012Validator.check_schema(op[part])
            except jsonschema.SchemaError as e:
                cat.error(rel, op, f"{part} is not a valid draft 2020-12 schema: {e.message} "
                                   f"(at {'/'.join(map(str, e.absolute_path))})")
                broken.add((id(op), part))
                continue
            resolve_refs(cat, rel, op, op[part], part)

    # 3. unique names (per handle)
    seen = {}
    for rel, op in cat.operations():
        key = (handle_of(op), op["name"])
        if key in seen:
            cat.error(rel, op, f"described twice (also in {seen[key]})")
        seen[key] = rel

    # 4. the kOps tables
    kops, dupes = parse_kops(root)
    for key in dupes:
        cat.errors.append(f"src: {key[1]} ({key[0]}) is in two kOps tables")
    if not kops:
        cat.errors.append("src: no kOps table found (has the table syntax changed?)")
    for key, (src, scope) in sorted(kops.items()):
        if key not in seen:
            cat.errors.append(f"{src}: operation {key[1]} (scope {scope}) is not in the catalogue")
    for rel, op in cat.operations():
        key = (handle_of(op), op["name"])
        if key not in kops:
            cat.error(rel, op, "no such operation in any kOps table of src/")
        elif kops[key][1] != op["scope"]:
            cat.error(rel, op, f"scope {op['scope']!r} but {kops[key][0]} says {kops[key][1]!r}")

    # 5. symbols, header, wrappers
    symbols = (root / "capi" / "loyalty.symbols").read_text().split()
    described: dict[str, str] = {}
    for rel, op in cat.operations():
        c = op.get("c_name")
        if c in described:
            cat.error(rel, op, f"c_name {c} is also described in {described[c]}")
        described[c] = f"{rel} ({op['name']})"
    for rel, content in cat.files.items():
        for f in content.get("functions", []) if isinstance(content, dict) else []:
            c = f.get("c_name")
            if c in described:
                cat.error(rel, None, f"function {c} is also described in {described[c]}")
            described[c] = rel
    for s in sorted(set(symbols) - set(described)):
        cat.errors.append(f"capi/loyalty.symbols: {s} is in no catalogue file")
    for s in sorted(set(described) - set(symbols)):
        cat.errors.append(f"{described[s]}: {s} is not in capi/loyalty.symbols")
    header = header_functions(root)
    signatures = header_signatures(root)
    wrappers = c_wrappers(root)
    for rel, op in cat.operations():
        c = op["c_name"]
        if c not in header:
            cat.error(rel, op, f"c_name {c} is not declared in capi/include/loyalty.h")
        elif header[c] and header[c] != op.get("since"):
            cat.error(rel, op, f"since {op.get('since')!r} but loyalty.h says @since {header[c]}")
        if wrappers.get(c) != (handle_of(op), op["name"]):
            got = wrappers.get(c)
            cat.error(rel, op, f"{c} in capi/src/loyalty_c.cpp runs "
                               f"{got[1] + ' on the ' + got[0] + ' handle' if got else 'no operation'}")
    for rel, content in cat.files.items():
        for f in content.get("functions", []) if isinstance(content, dict) else []:
            if f.get("c_name") not in header:
                cat.error(rel, None, f"function {f.get('c_name')} is not declared in capi/include/loyalty.h")
            elif signatures.get(f["c_name"]) != f.get("signature"):
                cat.error(rel, None, f"function {f['c_name']}: signature {f.get('signature')!r} but loyalty.h "
                                     f"declares {signatures.get(f['c_name'])!r}")
            elif header[f["c_name"]] and header[f["c_name"]] != f.get("since"):
                cat.error(rel, None, f"function {f['c_name']}: since {f.get('since')!r} but loyalty.h says "
                                     f"@since {header[f['c_name']]}")

    # 5b. the doc agrees with the description: its "Scope: x", and every status it names is listed
    # in errors (or is common to every operation)
    common = set()
    for content in cat.files.values():
        for group in content.get("common_errors", {}).values() if isinstance(content, dict) else []:
            common |= {e["status"] for e in group}
    for rel, op in cat.operations():
        doc = op.get("doc", "")
        said = re.findall(r"Scope: (\w+)", doc)
        if op["scope"] == "engine-admin" and said:
            cat.error(rel, op, f"the doc says Scope: {said[0]} of an admin-handle operation")
        elif op["scope"] != "engine-admin" and said[:1] != [op["scope"]]:
            cat.error(rel, op, f"the doc says Scope: {said[0] if said else '(nothing)'}")
        named = set(re.findall(r"(?<!never )\b(LOY_E[A-Z]+)", doc))
        listed = {e.get("status") for e in op.get("errors", [])}
        for status in sorted(named - listed - common):
            cat.error(rel, op, f"the doc names {status}, which errors does not list")

    # 6. examples and setups against the input schemas
    index = cat.op_index()
    fixture = next((c["example_fixture"] for c in cat.files.values()
                    if isinstance(c, dict) and "example_fixture" in c), None)
    base_known = set()
    if fixture is None:
        cat.errors.append("capi/ops/abi.json: no example_fixture")
    else:
        for step in fixture["steps"]:
            check_step(cat, "capi/ops/abi.json", None, step, index, set(base_known), "example_fixture", broken)
            if "as" in step:
                base_known.add(step["as"])
    for rel, op in cat.operations():
        known = set(base_known)
        for n, step in enumerate(op.get("example_setup", [])):
            check_step(cat, rel, op, step, index, known, f"example_setup[{n}]", broken)
            if "as" in step:
                known.add(step["as"])
        if "example" in op and "input" in op and (id(op), "input") not in broken:
            check_placeholders(cat, rel, op, op["example"], known, "example")
            for e in cat.validator(rel, op["input"]).iter_errors(op["example"]):
                if not is_placeholder(e.instance):
                    cat.error(rel, op, f"example does not match the input schema {fmt_error(e)}")

    # 7. the Python op table (reported; bindings/ is not changed by this check)
    py = (root / "bindings" / "python" / "loyalty" / "_ops.py").read_text()
    py_names = set(re.findall(r'^\s+\w+\s*=\s*op\(\s*"([a-z_.]+)"', py, re.M))
    names = {op["name"] for _, op in cat.operations()}
    for n in sorted(names - py_names):
        cat.errors.append(f"bindings/python/loyalty/_ops.py: no method for operation {n}")
    for n in sorted(py_names - names):
        cat.warnings.append(f"bindings/python/loyalty/_ops.py: {n} is not an operation of the catalogue")

    for w in cat.warnings:
        print("warning: " + w)
    for e in cat.errors:
        print("error: " + e)
    n_ops = sum(1 for _ in cat.operations())
    n_fn = sum(len(c.get("functions", [])) for c in cat.files.values() if isinstance(c, dict))
    if cat.errors:
        print(f"catalogue: {len(cat.errors)} error(s)")
        return 1
    print(f"catalogue: ok ({len(cat.files)} files, {n_ops} operations, {n_fn} other functions, "
          f"{len(symbols)} symbols)")
    return 0


def resolve_refs(cat, rel, op, schema, where):
    resolver = cat.registry.resolver(base_uri=cat.base_uri(rel))
    for r in refs_in(schema):
        if r.startswith("#"):
            continue  # local to the schema; check_schema and validation see those
        try:
            resolver.lookup(r)
        except (referencing.exceptions.Unresolvable, Exception) as e:  # noqa: BLE001
            cat.error(rel, op, f"{where}: $ref {r!r} does not resolve ({type(e).__name__})")


def check_step(cat, rel, op, step, index, known, where, broken):
    key = (step.get("handle", "session"), step.get("op"))
    if key not in index:
        cat.error(rel, op, f"{where}: unknown operation {key[1]} on the {key[0]} handle")
        return
    check_placeholders(cat, rel, op, step.get("input"), known, where)
    target_rel, target = index[key]
    if (id(target), "input") in broken:
        return
    for e in cat.validator(target_rel, target["input"]).iter_errors(step.get("input")):
        if not is_placeholder(e.instance):
            cat.error(rel, op, f"{where} ({key[1]}) does not match its input schema {fmt_error(e)}")


def is_placeholder(value):
    """A "${name.path}" string: its value is known when the example runs (checked there)."""
    return isinstance(value, str) and PLACEHOLDER.fullmatch(value) is not None


# ------------------------------------------------------------------------------------------------
# examples

class LoyBuf(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class LoyError(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char_p), ("detail_json", ctypes.c_char_p)]


class EngineOptions(ctypes.Structure):
    # loy_engine_options, version 1 (capi/include/loyalty.h)
    _fields_ = [("version", ctypes.c_int), ("uri", ctypes.c_char_p), ("admin_key", ctypes.c_char_p),
                ("synchronous", ctypes.c_int), ("busy_timeout_ms", ctypes.c_int), ("pool_size", ctypes.c_int),
                ("clock", ctypes.c_void_p), ("log", ctypes.c_void_p), ("log_ctx", ctypes.c_void_p),
                ("cache_mb", ctypes.c_int), ("wal_autocheckpoint", ctypes.c_int)]


class CallFailed(Exception):
    def __init__(self, message, code=None, detail=None):
        super().__init__(message)
        self.code = code
        self.detail = detail or {}


class Abi:
    def __init__(self, path):
        lib = ctypes.CDLL(str(path))
        P = ctypes.c_void_p
        lib.loy_engine_open.argtypes = [ctypes.POINTER(EngineOptions), ctypes.POINTER(P)]
        lib.loy_engine_free.argtypes = [P]
        lib.loy_admin_open.argtypes = [P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(P)]
        lib.loy_admin_free.argtypes = [P]
        lib.loy_session_open.argtypes = [P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(P)]
        lib.loy_session_free.argtypes = [P]
        for fn in (lib.loy_session_call, lib.loy_admin_call):
            fn.argtypes = [P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(LoyBuf)]
        lib.loy_buf_dispose.argtypes = [ctypes.POINTER(LoyBuf)]
        lib.loy_error_last.restype = ctypes.POINTER(LoyError)
        self.lib = lib

    def failure(self, what, rc):
        err = self.lib.loy_error_last()
        msg = err.contents.message.decode() if err else "?"
        detail = err.contents.detail_json.decode() if err else "{}"
        raise CallFailed(f"{what} returned {rc}: {msg} {detail}", rc, json.loads(detail))

    def engine(self, admin_key):
        opts = EngineOptions(1, b":memory:", admin_key.encode(), 0, 5000, 1, None, None, None, 64, 10000)
        out = ctypes.c_void_p()
        rc = self.lib.loy_engine_open(ctypes.byref(opts), ctypes.byref(out))
        if rc:
            self.failure("loy_engine_open", rc)
        return out

    def open(self, fn, engine, key):
        out = ctypes.c_void_p()
        k = key.encode()
        rc = fn(engine, k, len(k), ctypes.byref(out))
        if rc:
            self.failure(fn.__name__, rc)
        return out

    def call(self, handle_kind, handle, op, value, c_name=None):
        """Runs `op` through loy_admin_call / loy_session_call, or through its own C function
        `c_name` (which has the usual (handle, json, len, out) shape)."""
        text = json.dumps(value).encode()
        buf = LoyBuf()
        if c_name:
            fn = getattr(self.lib, c_name)
            fn.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(LoyBuf)]
            rc = fn(handle, text, len(text), ctypes.byref(buf))
        else:
            fn = self.lib.loy_admin_call if handle_kind == "admin" else self.lib.loy_session_call
            rc = fn(handle, op.encode(), text, len(text), ctypes.byref(buf))
        if rc:
            self.failure(op, rc)
        try:
            return json.loads(ctypes.string_at(buf.data, buf.len).decode())
        finally:
            self.lib.loy_buf_dispose(ctypes.byref(buf))


@contextlib.contextmanager
def fixture_engine(abi, fixture):
    """A fresh in-memory engine with its admin handle open: yields the handles dict ("admin", and
    "session" once opened by the caller), and frees every handle and the engine afterwards."""
    engine = abi.engine(fixture["admin_key"])
    handles = {}
    try:
        handles["admin"] = abi.open(abi.lib.loy_admin_open, engine, fixture["admin_key"])
        yield engine, handles
    finally:
        if "session" in handles:
            abi.lib.loy_session_free(handles["session"])
        if "admin" in handles:
            abi.lib.loy_admin_free(handles["admin"])
        abi.lib.loy_engine_free(engine)


def substitute(value, results):
    """Replaces ${name.path} placeholders with values of earlier results."""
    if isinstance(value, dict):
        return {k: substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, results) for v in value]
    if isinstance(value, str):
        def lookup(m):
            v = results[m.group(1)]
            for part in m.group(2).split(".")[1:]:
                v = v[int(part)] if isinstance(v, list) else v[part]
            return v
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return lookup(whole)
        return PLACEHOLDER.sub(lambda m: str(lookup(m)), value)
    return value


def bounds(schema, good):
    """(value, inside) pairs at and just outside the bounds a property's schema states directly
    (not through $ref), and each word of an enum and one that is not: inside values must not be
    refused for that field, outside ones must."""
    if not isinstance(schema, dict) or "x-handler-checks" in schema:
        return []  # the handler checks more than the bounds (docs/catalogue.md)
    out = []
    if isinstance(good, (int, float)) and not isinstance(good, bool):
        step = 1 if isinstance(good, int) else 0.5
        if "minimum" in schema:
            out += [(schema["minimum"], True), (schema["minimum"] - step, False)]
        if "maximum" in schema:
            out += [(schema["maximum"], True), (schema["maximum"] + step, False)]
    if isinstance(good, str) and "enum" in schema:
        out += [(w, True) for w in schema["enum"] if isinstance(w, str)] + [("catalogue-no-such-word", False)]
    if isinstance(good, str) and "pattern" not in schema and "enum" not in schema:
        if schema.get("minLength", 0) >= 1:
            out += [("x", True), ("", False)]
        if "maxLength" in schema:
            out += [("x" * schema["maxLength"], True), ("x" * (schema["maxLength"] + 1), False)]
    return out


def with_nulls(validator, schema, value):
    """`value` with every optional field it leaves out given as null, where the schema allows it
    (the handlers read a null field as absent: the engine must answer as without it)."""
    out = dict(value)
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    for key in props:
        if key in out or key in schema.get("required", []):
            continue
        out[key] = None
        if not validator.is_valid(out):
            del out[key]
    return out


def examples(root: pathlib.Path, lib: pathlib.Path, only: list[str]) -> int:
    cat = Catalogue(root)
    abi = Abi(lib)
    index = cat.op_index()
    fixture = next(c["example_fixture"] for c in cat.files.values() if "example_fixture" in c)
    failures = 0
    ran = []
    for rel, op in cat.operations():
        if only and op["name"] not in only:
            continue
        label = f"{rel}: {op['name']} ({op['scope']})"
        for variant in ("example", "nulls"):
            try:
                with fixture_engine(abi, fixture) as (engine, handles):
                    results = {}
                    steps = [("example_fixture", s) for s in fixture["steps"]]
                    steps += [(f"example_setup[{n}]", s) for n, s in enumerate(op.get("example_setup", []))]
                    steps.append(("example", {"handle": handle_of(op), "op": op["name"], "input": op["example"]}))
                    for where, step in steps:
                        kind = step.get("handle", "session")
                        if kind == "session" and "session" not in handles:
                            key = results["tenant"]["api_key"]["key"]
                            handles["session"] = abi.open(abi.lib.loy_session_open, engine, key)
                        value = substitute(step["input"], results)
                        if where == "example" and variant == "nulls":
                            value = with_nulls(cat.validator(rel, op["input"]), op["input"], value)
                        step_rel, step_op = index[(kind, step["op"])]
                        for e in cat.validator(step_rel, step_op["input"]).iter_errors(value):
                            print(f"error: {label}: {where} {step['op']}: the input does not match the input schema "
                                  f"{fmt_error(e)}")
                            failures += 1
                        # The example runs through the operation's own C function (the generic
                        # dispatch when it has another shape, and in the "nulls" variant).
                        c_name = op["c_name"] if where == "example" and variant == "example" and "c_call" not in op else None
                        try:
                            result = abi.call(kind, handles[kind], step["op"], value, c_name)
                        except CallFailed as e:
                            raise CallFailed(f"{where} {step['op']} {json.dumps(value)}: {e}") from None
                        errs = list(cat.validator(step_rel, step_op["output"]).iter_errors(result))
                        for e in errs[:5]:
                            print(f"error: {label}: {where} {step['op']}: the output does not match the output "
                                  f"schema {fmt_error(e)}")
                        if errs:
                            print(f"       output: {json.dumps(result)[:2000]}")
                            failures += 1
                        if "as" in step:
                            results[step["as"]] = result
                    if variant == "nulls":
                        continue
                    kind = handle_of(op)

                    def refused_by_both(bad: dict, shown: str, names_field) -> int:
                        """The input schema and the engine both refuse `bad`, the engine with LOY_EINVALID
                        naming a field that `names_field` accepts; returns the number of failures."""
                        n = 0
                        if cat.validator(rel, op["input"]).is_valid(bad):
                            print(f"error: {label}: the input schema accepts {shown}")
                            n += 1
                        try:
                            abi.call(kind, handles[kind], op["name"], bad)
                            print(f"error: {label}: the engine accepted {shown}")
                            n += 1
                        except CallFailed as e:
                            if e.code != -2 or not names_field(str(e.detail.get("field", ""))):
                                print(f"error: {label}: {shown} gave {e} (expected LOY_EINVALID naming it)")
                                n += 1
                        return n

                    # An unknown field is refused by the schema and by the engine alike (LOY_EINVALID naming it).
                    bad = dict(substitute(op["example"], results), catalogue_unknown_field=1)
                    failures += refused_by_both(bad, "an unknown field", lambda f: f == "catalogue_unknown_field")
                    # So is the example without any one of its required fields. (An optional idempotency key is
                    # left out too: ledger writes look a key up before they read the other fields, so a
                    # replayed key answers LOY_ECONFLICT first.)
                    required = op["input"].get("required", []) if isinstance(op["input"], dict) else []
                    for key in required:
                        bad = {k: v for k, v in substitute(op["example"], results).items()
                               if k != key and (k != "idempotency_key" or k in required)}
                        failures += refused_by_both(bad, f"the example without {key}", lambda f, key=key: f == key)
                    # And with each of its fields of the wrong JSON type.
                    for key, good in substitute(op["example"], results).items():
                        if key == "idempotency_key" and key not in required:
                            continue
                        bad = {k: v for k, v in substitute(op["example"], results).items()
                               if k != "idempotency_key" or k in required}
                        bad[key] = {} if isinstance(good, list) else []
                        failures += refused_by_both(bad, f"{key}: {json.dumps(bad[key])}",
                                                    lambda f, key=key: f.startswith(key))
                    # And with each bounded field at its bounds (the engine must not refuse that field)
                    # and just outside them (the schema and the engine must refuse it).
                    props = op["input"].get("properties", {}) if isinstance(op["input"], dict) else {}
                    for key, good in substitute(op["example"], results).items():
                        for value, inside in bounds(props.get(key, {}), good):
                            probe = {k: v for k, v in substitute(op["example"], results).items()
                                     if k != "idempotency_key" or k in required}
                            probe[key] = value
                            shown = f"{key}: {json.dumps(value)[:40]}"
                            if cat.validator(rel, op["input"]).is_valid(probe) != inside:
                                print(f"error: {label}: the input schema {'refuses' if inside else 'accepts'} {shown}")
                                failures += 1
                            try:
                                abi.call(kind, handles[kind], op["name"], probe)
                                if not inside:
                                    print(f"error: {label}: the engine accepted {shown}")
                                    failures += 1
                            except CallFailed as e:
                                refused = e.code == -2 and e.detail.get("field") == key
                                if refused == inside:
                                    print(f"error: {label}: {shown} gave {e} "
                                          f"({'the field is within the schema' if inside else 'expected LOY_EINVALID naming it'})")
                                    failures += 1
                    ran.append((handle_of(op), op["name"]))
            except CallFailed as e:
                print(f"error: {label}: {variant}: {e}")
                failures += 1
    if failures:
        print(f"catalogue examples: {failures} failure(s)")
        return 1
    print(f"catalogue examples: ok ({len(set(ran))} operations' examples ran, also with their absent optional "
          f"fields as null; every result matches its output schema; unknown, missing and mistyped fields are "
          f"refused)")
    return 0


# ------------------------------------------------------------------------------------------------
# fuzz

JUNK = [None, True, False, 0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, -2**63, 1.5, -0.0, 1e300, "", "x", "x" * 5000,
        "\u00e9\U0001F600", "2026-13-45T99:99:99Z", "not-an-id", [], [1, "a"], [[[]]], {}, {"a": {"b": {}}}]


def mutate(rng, value, depth=0):
    """`value` with one random change somewhere inside it: a field dropped, added or replaced by junk,
    an array element replaced or appended, a scalar replaced."""
    if isinstance(value, dict) and value and depth < 4 and rng.random() < 0.35:
        key = rng.choice(sorted(value))
        return {**value, key: mutate(rng, value[key], depth + 1)}
    if isinstance(value, list) and value and depth < 4 and rng.random() < 0.35:
        i = rng.randrange(len(value))
        return value[:i] + [mutate(rng, value[i], depth + 1)] + value[i + 1:]
    if isinstance(value, dict):
        choice = rng.random()
        out = dict(value)
        if value and choice < 0.3:
            del out[rng.choice(sorted(value))]
        elif choice < 0.4:
            out[rng.choice(["zz_unknown", "Points", "customer id", ""])] = rng.choice(JUNK)
        elif value:
            out[rng.choice(sorted(value))] = copy.deepcopy(rng.choice(JUNK))
        else:
            out["zz_unknown"] = 1
        return out
    if isinstance(value, list):
        return value + [copy.deepcopy(rng.choice(JUNK))] if rng.random() < 0.5 else copy.deepcopy(rng.choice(JUNK))
    if isinstance(value, bool) or value is None:
        return copy.deepcopy(rng.choice(JUNK))
    if isinstance(value, int):
        return rng.choice([value + 1, -value, value * 1000000007, 0, 2**63, -2**63 - 1, float(value), str(value)])
    if isinstance(value, str):
        return rng.choice([value + "\x00", value * 200, "", value.upper(), " " + value, 7, None])
    return copy.deepcopy(rng.choice(JUNK))


STATUS_NAMES = {-3: "LOY_ENOTFOUND", -4: "LOY_ECONFLICT", -5: "LOY_EINSUFFICIENT", -6: "LOY_EOUTOFSTOCK",
                -7: "LOY_ELIMIT", -8: "LOY_EFORBIDDEN", -9: "LOY_EUNAVAILABLE"}


def item_level_only(cat, rel, op, value):
    """For an operation whose input has an array marked "x-item-errors" (a batch): the indexes of the
    items that break the item schema when nothing else of the input breaks the schema, else None."""
    props = op["input"].get("properties", {}) if isinstance(op["input"], dict) else {}
    key = next((k for k, v in props.items() if isinstance(v, dict) and "x-item-errors" in v), None)
    if key is None or not isinstance(value, dict) or not isinstance(value.get(key), list):
        return None
    items = props[key].get("items", True)
    bad = [i for i, item in enumerate(value[key]) if not cat.validator(rel, items).is_valid(item)]
    rest = dict(value)
    rest[key] = [item for i, item in enumerate(value[key]) if i not in bad]
    if not rest[key] and value[key]:
        rest[key] = [value[key][0]] if not bad else []
    whole_ok = cat.validator(rel, {**op["input"], "properties": {**props, key: {**props[key], "items": True}}}).is_valid(value)
    return bad if whole_ok and bad else None


def fuzz(root: pathlib.Path, lib: pathlib.Path, per_op: int, seed: int, only: list[str]) -> int:
    """Generated bad inputs for every operation: each is given to the input schema and to the engine
    (on a tenant prepared by the example's fixture and setup). Whatever the schema refuses, the engine
    must refuse with LOY_EINVALID and leave the tenant's ledger unchanged; whatever the engine refuses
    as LOY_EINVALID while the schema accepts it must concern a field the schema marks as checked
    further by the handler (x-handler-checks or $comment) or a cross-field rule listed in
    docs/catalogue.md "To tighten"; those are counted and printed."""
    import random
    cat = Catalogue(root)
    abi = Abi(lib)
    index = cat.op_index()
    fixture = next(c["example_fixture"] for c in cat.files.values() if "example_fixture" in c)
    rng = random.Random(seed)
    failures = 0
    total = refused_by_schema = lenient = 0
    lenient_by_field: dict[str, int] = {}
    other_first: dict[str, int] = {}
    for rel, op in cat.operations():
        if only and op["name"] not in only:
            continue
        label = f"{op['name']} ({handle_of(op)})"
        try:
            with fixture_engine(abi, fixture) as (engine, handles):
                results = {}
                steps = list(fixture["steps"]) + list(op.get("example_setup", []))
                for step in steps:
                    kind = step.get("handle", "session")
                    if kind == "session" and "session" not in handles:
                        handles["session"] = abi.open(abi.lib.loy_session_open, engine, results["tenant"]["api_key"]["key"])
                    r = abi.call(kind, handles[kind], step["op"], substitute(step["input"], results))
                    if "as" in step:
                        results[step["as"]] = r
                if "session" not in handles:
                    handles["session"] = abi.open(abi.lib.loy_session_open, engine, results["tenant"]["api_key"]["key"])
                example = substitute(op["example"], results)
                validator = cat.validator(rel, op["input"])
                kind = handle_of(op)
                seen = set()
                for n in range(per_op):
                    bad = example
                    for _ in range(rng.randint(1, 3)):
                        bad = mutate(rng, bad)
                    text = json.dumps(bad, sort_keys=True)
                    if text in seen:
                        continue
                    seen.add(text)
                    total += 1
                    schema_ok = validator.is_valid(bad)
                    before = abi.call("session", handles["session"], "ledger.verify", {})
                    try:
                        result = abi.call(kind, handles[kind], op["name"], bad)
                        engine_status = 0
                        field = ""
                    except CallFailed as e:
                        engine_status = e.code
                        field = str(e.detail.get("field", ""))
                    if not schema_ok:
                        refused_by_schema += 1
                        item_errors = item_level_only(cat, rel, op, bad)
                        if engine_status == 0 and item_errors is not None:
                            # A batch: the engine answers each bad item in its results instead.
                            for i in item_errors:
                                r = result["results"][i] if i < len(result.get("results", [])) else None
                                if not r or r.get("ok") is not False or r.get("error", {}).get("code") != -2:
                                    print(f"error: {label}: item {i} breaks the item schema but its result is "
                                          f"{json.dumps(r)[:200]}: {text[:300]}")
                                    failures += 1
                        elif engine_status == 0:
                            print(f"error: {label}: the schema refuses {text[:300]} but the engine accepted it")
                            failures += 1
                        elif engine_status != -2:
                            # Refused, by another check first (an unknown id, a reused idempotency key).
                            key = f"{op['name']}: {STATUS_NAMES.get(engine_status, engine_status)}"
                            other_first[key] = other_first.get(key, 0) + 1
                        after = abi.call("session", handles["session"], "ledger.verify", {})
                        if after != before:
                            print(f"error: {label}: a refused input changed the ledger: {text[:300]}")
                            failures += 1
                    elif engine_status == -2:
                        lenient += 1
                        key = f"{op['name']}: {field or '?'}"
                        lenient_by_field[key] = lenient_by_field.get(key, 0) + 1
        except CallFailed as e:
            print(f"error: {label}: setup: {e}")
            failures += 1
    print(f"catalogue fuzz: {total} generated inputs (seed {seed}), {refused_by_schema} refused by the input schema "
          f"and every one by the engine too (batch items in their results), with LOY_EINVALID but for "
          f"{sum(other_first.values())} refused by an earlier check:")
    for key, count in sorted(other_first.items(), key=lambda kv: -kv[1]):
        print(f"  {count:5d}  {key}")
    print(f"{lenient} accepted by the schema but refused by the engine's further checks (docs/catalogue.md, "
          f"To tighten), by field:")
    for key, count in sorted(lenient_by_field.items(), key=lambda kv: -kv[1]):
        print(f"  {count:5d}  {key}")
    if failures:
        print(f"catalogue fuzz: {failures} failure(s)")
        return 1
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent.parent)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check the catalogue against the code")
    ex = sub.add_parser("examples", help="run the examples through the C ABI and check their outputs")
    ex.add_argument("--lib", type=pathlib.Path, required=True, help="the built libloyalty shared library")
    ex.add_argument("--only", nargs="*", default=[], help="operation names")
    fz = sub.add_parser("fuzz", help="generated bad inputs: whatever the schema refuses, the engine refuses")
    fz.add_argument("--lib", type=pathlib.Path, required=True, help="the built libloyalty shared library")
    fz.add_argument("--per-op", type=int, default=60, help="inputs generated per operation")
    fz.add_argument("--seed", type=int, default=20261207)
    fz.add_argument("--only", nargs="*", default=[], help="operation names")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    if args.command == "check":
        return check(root)
    if args.command == "fuzz":
        return fuzz(root, args.lib, args.per_op, args.seed, args.only)
    return examples(root, args.lib, args.only)


if __name__ == "__main__":
    sys.exit(main())
