#!/usr/bin/env python3
"""Generates everything that lists operations from the operation catalogue (capi/ops/*.json).

  scripts/catalogue_gen.py write [--root DIR]
      Rewrites the generated files of the source tree (below) from the catalogue.
  scripts/catalogue_gen.py check [--root DIR]
      Exits 1, naming each file and its first differing line, when a generated file of the source
      tree is not what `write` would produce (run by the build and by the `catalogue_generated` test).
  scripts/catalogue_gen.py build --out DIR [--root DIR]
      Writes the files the build compiles into DIR (only when their content changes, so nothing
      recompiles needlessly), then runs `check`: a stale generated file fails the build.

Generated in the source tree (committed, so that readers and packagers see them):
  capi/include/loyalty.h         the regions between "@generated begin" and "@generated end": every
                                 operation's C function with its doc comment (the rest of the
                                 header is written by hand)
  capi/loyalty.symbols           every exported function: the operations' c_name and abi.json's
  bindings/python/loyalty/_ops.py   the Python namespaces and their operation methods
  bindings/python/loyalty/_ops.pyi  their types (TypedDicts of every input and output)
  bindings/python/loyalty/catalogue.json  the whole catalogue in one file, $refs kept, with the
                                 docs/schema files they name under "schemas" (for the
                                 bindings and the reference server's OpenAPI schema)
  docs/api/*.md                  the operation reference, one page per module, and its index
  docs/abi.md, docs/tenancy.md, docs/python.md   the regions between "<!-- @generated begin" and "<!-- @generated end -->"
With Node installed, `write` and `check` also run the Node package's generator
(bindings/node/scripts/gen.mjs: its method table and index.d.ts from the same catalogue).
Generated into the build tree (build): loyalty_ops.inc (the C wrappers of capi/src/loyalty_c.cpp)
and op_catalogue.inc (the table the engine checks its operation registry against at startup).

Needs only the Python standard library (3.9+). docs/catalogue.md describes the catalogue.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap
from typing import Any, Dict, List, Optional, Tuple

WIDTH = 100
GEN = "scripts/catalogue_gen.py"
SCOPE_CONST = {"read": "kScopeRead", "pos": "kScopePos", "admin": "kScopeAdmin", "engine-admin": "0"}


# --------------------------------------------------------------------------------------------
# Loading


class Catalogue:
    def __init__(self, root: pathlib.Path):
        self.root = root
        self.dir = root / "capi" / "ops"
        self.abi = self._load("abi.json")
        self.modules: List[dict] = []
        names = self.abi.get("modules", [])
        present = sorted(p.stem for p in self.dir.glob("*.json")
                         if not p.name.endswith(".schema.json") and p.stem != "abi")
        if sorted(names) != present:
            raise SystemExit(f"catalogue_gen: abi.json \"modules\" {names} must list every module file "
                             f"of capi/ops once: {present}")
        for name in names:
            self.modules.append(self._load(f"{name}.json"))
        self.types = self._load("types.schema.json")

    def _load(self, name: str) -> dict:
        path = self.dir / name
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise SystemExit(f"catalogue_gen: {path}: {e}")

    def operations(self):
        for m in self.modules:
            for op in m["operations"]:
                yield m, op

    def handle(self, op: dict) -> str:
        return "admin" if op["scope"] == "engine-admin" else "session"


def prefix_of(op: dict) -> str:
    return op["name"].split(".", 1)[0]


def attr_of(op: dict) -> str:
    """The method name in Python: the name after the prefix, dots as underscores, and a trailing
    underscore after a keyword (``purchase.return`` -> ``return_``)."""
    attr = op["name"].split(".", 1)[1].replace(".", "_")
    return attr + "_" if attr in PY_KEYWORDS else attr


# --------------------------------------------------------------------------------------------
# C: loyalty.h regions, loyalty.symbols, the wrappers and the engine's table


def c_comment(text: str, opener: str = "/**") -> str:
    lines = textwrap.wrap(text, width=WIDTH - 3, initial_indent=opener + " ", subsequent_indent=" *  ",
                          break_long_words=False, break_on_hyphens=False)
    if len(lines[-1]) + 3 <= WIDTH:
        lines[-1] += " */"
    else:
        lines.append(" */")
    return "\n".join(lines)


def c_section(title: str) -> str:
    head = f"/* {title} "
    return head + "-" * (WIDTH - len(head) - 3) + " */"


def c_declaration(cat: Catalogue, op: dict) -> str:
    if "c_signature" in op:
        return c_comment(f"{op['c_doc']} @since {op['since']}") + f"\nLOY_API {op['c_signature']};"
    subject = "loy_admin *admin" if cat.handle(op) == "admin" else "loy_session *session"
    return (c_comment(f"{op['doc']} @since {op['since']}") +
            f"\nLOY_API int {op['c_name']}({subject}, const char *json, size_t len, loy_buf *out);")


def header_region(cat: Catalogue, which: str) -> str:
    out: List[str] = []
    if which == "admin operations":
        for _, op in cat.operations():
            if cat.handle(op) == "admin":
                out.append(c_declaration(cat, op))
        return "\n".join(out)
    first = True
    for m in cat.modules:
        ops = [op for op in m["operations"] if cat.handle(op) == "session"]
        if not ops:
            continue
        block: List[str] = []
        if not first:
            block.append(c_section(f"{m['title']} ({', '.join('docs/' + g for g in m['guides'])})"))
            if "c_note" in m:
                block.append(c_comment(m["c_note"], opener="/*"))
            block.append("")
        first = False
        block.extend(c_declaration(cat, op) for op in ops)
        out.append("\n".join(block))
    return "\n\n".join(out)


BEGIN = re.compile(r"^(?P<open>/\* |<!-- )@generated begin: (?P<name>[a-z ]+?) \((?P<note>[^)]*)\)(?P<close> \*/| -->)\n", re.M)


def fill_regions(text: str, regions: Dict[str, str], path: str) -> str:
    """Replaces the body of every "@generated begin: NAME (...)" ... "@generated end" region."""
    out, pos, seen = [], 0, set()
    for m in BEGIN.finditer(text):
        if m.start() < pos:
            continue
        name = m.group("name")
        end_marker = ("/* @generated end */" if m.group("open") == "/* " else "<!-- @generated end -->")
        end = text.find(end_marker, m.end())
        if end < 0:
            raise SystemExit(f"catalogue_gen: {path}: region '{name}' has no {end_marker}")
        if name not in regions:
            raise SystemExit(f"catalogue_gen: {path}: unknown generated region '{name}'")
        out.append(text[pos:m.end()])
        body = regions[name].rstrip("\n") + "\n"
        out.append(body)
        pos = end
        seen.add(name)
    out.append(text[pos:])
    missing = set(regions) - seen
    if missing:
        raise SystemExit(f"catalogue_gen: {path}: missing generated region(s) {sorted(missing)}")
    return "".join(out)


def symbols(cat: Catalogue) -> str:
    names = [op["c_name"] for _, op in cat.operations()] + [f["c_name"] for f in cat.abi["functions"]]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f"catalogue_gen: C names used twice: {dupes}")
    return "\n".join(sorted(names)) + "\n"


def c_wrappers(cat: Catalogue) -> str:
    lines = [f"// Generated by {GEN} from capi/ops/*.json: do not edit.",
             "// One C function per operation (those with their own c_signature are written by hand)."]
    for _, op in cat.operations():
        if "c_signature" in op:
            continue
        macro = "LOY_ADMIN_OP" if cat.handle(op) == "admin" else "LOY_SESSION_OP"
        lines.append(f'{macro}({op["c_name"]}, "{op["name"]}")')
    return "\n".join(lines) + "\n"


def op_table(cat: Catalogue) -> str:
    lines = [f"// Generated by {GEN} from capi/ops/*.json: do not edit.",
             "// {handle, name, scope} of every operation; the engine's registry must equal it."]
    for _, op in cat.operations():
        lines.append(f'{{CatalogueHandle::{cat.handle(op)}, "{op["name"]}", {SCOPE_CONST[op["scope"]]}}},')
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Schemas to types (Python stubs) and to text (docs)


class Schemas:
    """Resolves $refs relative to capi/ops/ (types.schema.json#/$defs/x, ../../docs/schema/...)."""

    def __init__(self, cat: Catalogue):
        self.cat = cat
        self.files: Dict[str, Any] = {}

    def load(self, rel: str) -> Any:
        if rel not in self.files:
            path = (self.cat.dir / rel).resolve()
            self.files[rel] = json.loads(path.read_text())
        return self.files[rel]

    def resolve(self, ref: str, base: str = "") -> Tuple[Any, str]:
        """(schema, file) for a $ref seen in `base` (a path relative to capi/ops, "" = the op file)."""
        file, _, pointer = ref.partition("#")
        if file:
            if base and "/" in base:
                file = str(pathlib.PurePosixPath(base).parent / file)
            doc = self.load(file)
        else:
            file = base
            doc = self.load(base) if base else {}
        node = doc
        for part in [p for p in pointer.split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, file


def camel(*parts: str) -> str:
    return "".join(p[:1].upper() + p[1:] for part in parts for p in re.split(r"[._\-/ ]+", part) if p)


class PyTypes:
    """JSON Schema -> Python type expressions; objects with properties become TypedDicts."""

    def __init__(self, schemas: Schemas):
        self.schemas = schemas
        self.defs: Dict[str, str] = {}  # class name -> source
        self.shapes: Dict[str, str] = {}  # repr of the fields -> the class that has them
        self.by_ref: Dict[str, str] = {}

    def typeof(self, s: Any, name: str, base: str = "", out: bool = False) -> str:
        """`out`: the type in a result, where times are datetimes (the package's default)."""
        if s is True or s == {} or not isinstance(s, dict):
            return "Any"
        if "$ref" in s:
            ref = s["$ref"]
            key = ((base + "|" + ref) if not ref.split("#")[0] else ref) + ("|out" if out else "|in")
            if key in self.by_ref:
                return self.by_ref[key]
            target, file = self.schemas.resolve(ref, base)
            ref_name = camel(ref.split("/")[-1]) if "#" in ref and ref.split("#")[1] else \
                camel(pathlib.PurePosixPath(ref.split("#")[0]).name.split(".")[0])
            self.by_ref[key] = "Any"  # a cycle types as Any
            t = self.typeof(target, ref_name, file, out)
            self.by_ref[key] = t
            return t
        if "const" in s:
            return f"Literal[{json.dumps(s['const'])}]" if s["const"] is not None else "None"
        if "enum" in s:
            vals = [v for v in s["enum"] if v is not None]
            lit = f"Literal[{', '.join(json.dumps(v) for v in vals)}]" if vals else "None"
            return f"Optional[{lit}]" if None in s["enum"] else lit
        for key in ("anyOf", "oneOf"):
            if key in s:
                members = [self.typeof(m, f"{name}{i}" if i else name, base, out) for i, m in enumerate(s[key])]
                return self.union(members)
        if "allOf" in s:
            return self.typeof(s["allOf"][0], name, base, out) if len(s["allOf"]) == 1 else "Dict[str, Any]"
        t = s.get("type")
        if isinstance(t, list):
            return self.union([self.typeof({**s, "type": one}, name, base, out) for one in t])
        if t == "null":
            return "None"
        if t == "string":
            if s.get("format") == "date-time":
                return "datetime" if out else "Union[datetime, str]"
            if s.get("format") == "date":
                return "date" if out else "Union[date, str]"
            return "str"
        if t == "integer":
            return "int"
        if t == "number":
            return "float"
        if t == "boolean":
            return "bool"
        if t == "array":
            return f"List[{self.typeof(s.get('items', True), name + 'Item', base, out)}]"
        if t == "object" or "properties" in s:
            props = s.get("properties")
            if not props:
                extra = s.get("additionalProperties")
                return f"Dict[str, {self.typeof(extra, name + 'Value', base, out)}]" if isinstance(extra, dict) else "Dict[str, Any]"
            return self.typed_dict(s, name, base, out)
        return "Any"

    @staticmethod
    def union(members: List[str]) -> str:
        flat: List[str] = []
        for m in members:
            for part in ([m] if not m.startswith("Optional[") else [m[9:-1], "None"]):
                if part not in flat:
                    flat.append(part)
        if "Any" in flat:
            return "Any"
        nullable = "None" in flat
        flat = [f for f in flat if f != "None"]
        if not flat:
            return "None"
        core = flat[0] if len(flat) == 1 else f"Union[{', '.join(flat)}]"
        return f"Optional[{core}]" if nullable else core

    def typed_dict(self, s: dict, name: str, base: str, out: bool) -> str:
        cls = name
        n = 2
        while cls in self.defs and self.defs[cls] != "pending:" + json.dumps(s, sort_keys=True) + str(out):
            if self.defs[cls].startswith("pending:"):
                break
            cls = f"{name}{n}"
            n += 1
        if cls in self.defs:
            return cls
        self.defs[cls] = "pending:" + json.dumps(s, sort_keys=True) + str(out)
        required = set(s.get("required", []))
        body = []
        for key, sub in s["properties"].items():
            t = self.typeof(sub, cls + camel(key), base, out)
            body.append((key, t if key in required else f"NotRequired[{t}]"))
        shape = repr(body)
        if shape in self.shapes:  # the same fields with the same types: one class serves both
            del self.defs[cls]
            return self.shapes[shape]
        self.shapes[shape] = cls
        if all(k.isidentifier() and k not in PY_KEYWORDS for k, _ in body):
            src = f"class {cls}(TypedDict):\n" + "".join(f"    {k}: {t}\n" for k, t in body)
        else:
            fields = ", ".join(f"{json.dumps(k)}: {t}" for k, t in body)
            src = f"{cls} = TypedDict({json.dumps(cls)}, {{{fields}}})\n"
        self.defs[cls] = src
        return cls


PY_KEYWORDS = {"from", "in", "is", "not", "and", "or", "class", "def", "import", "global", "lambda", "pass",
               "return", "yield", "with", "as", "if", "else", "elif", "for", "while", "try", "except",
               "finally", "raise", "del", "assert", "break", "continue", "None", "True", "False",
               "nonlocal", "async", "await"}


# --------------------------------------------------------------------------------------------
# Python: _ops.py and _ops.pyi

PY_CLASS = {("session", "session"): "SessionInfoOps", ("session", "apikey"): "ApiKeyOps",
            ("session", "events"): "EventOps", ("session", "ai"): "AiOps",
            ("admin", "apikey"): "AdminApiKeyOps", ("admin", "audit"): "AdminAuditOps"}


def namespaces(cat: Catalogue, handle: str):
    """[(module, namespace entry, class name, [ops])] of one handle, in catalogue order."""
    out = []
    for m in cat.modules:
        for ns in m["namespaces"]:
            if ns["handle"] != handle:
                continue
            ops = [op for op in m["operations"] if cat.handle(op) == handle and prefix_of(op) == ns["name"]]
            cls = PY_CLASS.get((handle, ns["name"]), camel(ns["name"]) + "Ops")
            out.append((m, ns, cls, ops))
    return out


def check_namespaces(cat: Catalogue) -> None:
    covered = set()
    for handle in ("session", "admin"):
        for _, ns, _, ops in namespaces(cat, handle):
            if not ops:
                raise SystemExit(f"catalogue_gen: namespace {handle}.{ns['name']} has no operation")
            covered.update((handle, op["name"]) for op in ops)
    for m, op in cat.operations():
        if (cat.handle(op), op["name"]) not in covered:
            raise SystemExit(f"catalogue_gen: {m['module']}.json: {op['name']} ({cat.handle(op)}) is in no "
                             f"namespace of its module")


def py_string(text: str, indent: int) -> str:
    """A string literal, split into implicitly joined pieces that fit the line width."""
    pieces = textwrap.wrap(text, width=WIDTH - indent - 4, drop_whitespace=False, break_long_words=True,
                           break_on_hyphens=False) or [""]
    if len(pieces) == 1:
        return json.dumps(text, ensure_ascii=False)
    pad = " " * indent
    return "(\n" + "\n".join(pad + "    " + json.dumps(p, ensure_ascii=False) for p in pieces) + "\n" + pad + ")"


def python_ops(cat: Catalogue) -> str:
    out = [f'"""The operation table, generated by {GEN} from the operation catalogue (capi/ops/*.json):',
           "do not edit; change the catalogue and run the script.",
           "",
           "Every engine operation is reachable through the generic ``call(op, input, **fields)`` of",
           ":class:`loyalty.Session` and :class:`loyalty.Admin`; this table adds a method per operation,",
           "grouped by the part of the name before the dot (``session.ledger.earn(...)`` runs ``ledger.earn``),",
           "with the catalogue's doc as its docstring and its input and output types in ``_ops.pyi``.",
           '"""',
           "",
           "from __future__ import annotations",
           "",
           "from ._opbase import Namespace, OpMethod, declared_operations, namespace, op",
           "",
           '__all__ = ["Namespace", "OpMethod", "declared_operations", "namespace", "op", "SessionNamespaces", "AdminNamespaces"]',
           ""]
    for handle in ("session", "admin"):
        for _, ns, cls, ops in namespaces(cat, handle):
            out.append("")
            out.append(f"class {cls}(Namespace):")
            where = " on the admin handle" if handle == "admin" else ""
            out.append(f'    """``{ns["name"]}.*``{where}: {ns["doc"]}."""')
            out.append("")
            out.append(f'    PREFIX = "{ns["name"]}"')
            for op in ops:
                out.append(f'    {attr_of(op)} = op("{op["name"]}", {py_string(op["doc"], 4)})')
            out.append("")
    for handle, title in (("session", "Session"), ("admin", "Admin")):
        out.append("")
        out.append(f"class {title}Namespaces:")
        out.append(f'    """The namespaces of a :class:`loyalty.{title}` (mixed into it)."""')
        out.append("")
        out.append("    __slots__ = ()")
        out.append("")
        for _, ns, cls, _ in namespaces(cat, handle):
            out.append(f"    {ns['name']} = namespace({cls})")
        out.append("")
    return "\n".join(out).replace("\n\n\n\n", "\n\n\n") + "\n"


def python_stub(cat: Catalogue) -> str:
    types = PyTypes(Schemas(cat))
    classes: List[str] = []
    for handle in ("session", "admin"):
        for m, ns, cls, ops in namespaces(cat, handle):
            lines = [f"class {cls}(Namespace):", f'    """``{ns["name"]}.*``: {ns["doc"]}."""', "    PREFIX: str"]
            for op in ops:
                base = f"{m['module']}.json"
                tag = camel(op["name"]) + ("Admin" if handle == "admin" and cls.startswith("Admin") else "")
                in_t = types.typeof(op["input"], tag + "Input", base)
                out_t = types.typeof(op["output"], tag + "Result", base, out=True)
                params = []
                props = op["input"].get("properties", {}) if isinstance(op["input"], dict) else {}
                for key, sub in props.items():
                    if key.isidentifier() and key not in PY_KEYWORDS:
                        params.append(f"{key}: {types.typeof(sub, tag + 'Input' + camel(key), base)} = ...")
                kw = (", *, " + ", ".join(params)) if params else ""
                lines.append(f"    def {attr_of(op)}(self, input: Optional[{in_t}] = None, /{kw}) -> {out_t}:")
                lines.append(f"        {py_docstring(op['doc'], 8)}")
                lines.append("        ...")
            classes.append("\n".join(lines) + "\n")
    mixins = []
    for handle, title in (("session", "Session"), ("admin", "Admin")):
        body = "".join(f"    {ns['name']}: {cls}\n" for _, ns, cls, _ in namespaces(cat, handle))
        mixins.append(f"class {title}Namespaces:\n{body}")
    defs = [src for src in types.defs.values() if not src.startswith("pending:")]
    head = (f"# Generated by {GEN} from capi/ops/*.json: do not edit.\n"
            "# The types of every operation method: TypedDicts of each input and output.\n"
            "# Results are typed as the package returns them by default (Engine.open(datetimes=True)):\n"
            "# times as aware datetimes.\n"
            "from datetime import date, datetime\n"
            "from typing import Any, Dict, List, Optional, Union\n\n"
            "from typing_extensions import Literal, NotRequired, TypedDict\n\n"
            "from ._opbase import Namespace as Namespace\n"
            "from ._opbase import OpMethod as OpMethod\n"
            "from ._opbase import declared_operations as declared_operations\n"
            "from ._opbase import namespace as namespace\n"
            "from ._opbase import op as op\n\n")
    return head + "\n".join(defs) + "\n\n" + "\n\n".join(classes) + "\n\n" + "\n\n".join(mixins)


def py_docstring(text: str, indent: int) -> str:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = textwrap.wrap(text, width=WIDTH - indent - 3, break_long_words=False, break_on_hyphens=False)
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    pad = " " * indent
    return '"""' + lines[0] + "\n" + "\n".join(pad + line for line in lines[1:]) + "\n" + pad + '"""'


# --------------------------------------------------------------------------------------------
# Docs: docs/api/*.md and the tables of docs/abi.md and docs/tenancy.md


def scope_label(op: dict) -> str:
    return "engine admin" if op["scope"] == "engine-admin" else op["scope"]


def abi_tables(cat: Catalogue) -> str:
    out = []
    for m in cat.modules:
        guides = ", ".join(f"[{g}]({g})" for g in m["guides"])
        src = m["source"].split(",")[0].strip().rsplit("/", 1)[0]
        out.append(f"### {m['title']} (`{src}`)\n\nSee {guides}; reference: "
                   f"[api/{m['module']}.md](api/{m['module']}.md).\n")
        out.append("| operation | C function | scope | handle |\n|---|---|---|---|")
        for op in sorted(m["operations"], key=lambda o: cat.handle(o) != "admin"):
            out.append(f"| `{op['name']}` | `{op['c_name']}` | {scope_label(op)} | {cat.handle(op)} |")
        out.append("")
    return "\n".join(out)


def python_namespaces(cat: Catalogue) -> str:
    rows = ["| namespace | methods |", "|---|---|"]
    for handle, title in (("session", "Session"), ("admin", "Admin")):
        for _, ns, _, ops in namespaces(cat, handle):
            rows.append(f"| `{title}.{ns['name']}` | {', '.join('`' + attr_of(op) + '`' for op in ops)} |")
    return "\n".join(rows) + "\n"


def tenancy_scopes(cat: Catalogue) -> str:
    rows = ["| scope needed | operations |", "|---|---|"]
    for scope in ("read", "pos", "admin"):
        names = [f"`{op['name']}`" for _, op in cat.operations() if op["scope"] == scope]
        rows.append(f"| `{scope}` | {', '.join(names)} |")
    return "\n".join(rows) + "\n"


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


class Doc:
    def __init__(self, cat: Catalogue):
        self.cat = cat
        self.schemas = Schemas(cat)

    def type_text(self, s: Any, base: str) -> str:
        if s is True or s == {}:
            return "any"
        if not isinstance(s, dict):
            return "never"
        if "$ref" in s:
            ref = s["$ref"]
            file, _, ptr = ref.partition("#")
            if file == "types.schema.json" and ptr.startswith("/$defs/"):
                name = ptr.split("/")[-1]
                return f"[{name}](types.md#{name.replace('_', '-')})"
            if file.startswith("../../docs/"):
                target = file[len("../../docs/"):]
                return f"[{pathlib.PurePosixPath(target).name}](../{target}{'#' + ptr if ptr else ''})"
            return f"`{ref}`"
        if "const" in s:
            return f"`{json.dumps(s['const'])}`"
        if "enum" in s:
            return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in s["enum"])
        for key in ("anyOf", "oneOf"):
            if key in s:
                parts = [self.type_text(x, base) for x in s[key]]
                return " or ".join(dict.fromkeys(parts))
        t = s.get("type")
        if isinstance(t, list):
            return " or ".join(self.type_text({**s, "type": x}, base) for x in t)
        bounds = []
        if "minimum" in s or "maximum" in s:
            bounds.append(f"{s.get('minimum', '')}..{s.get('maximum', '')}")
        if "minLength" in s or "maxLength" in s:
            bounds.append(f"length {s.get('minLength', 0)}..{s.get('maxLength', '')}")
        if "minItems" in s or "maxItems" in s:
            bounds.append(f"{s.get('minItems', 0)}..{s.get('maxItems', '')} items")
        if "pattern" in s:
            bounds.append(f"pattern `{s['pattern']}`")
        if "format" in s:
            bounds.append(s["format"])
        extra = f" ({'; '.join(bounds)})" if bounds else ""
        if t == "array":
            return f"array of {self.type_text(s.get('items', True), base)}{extra}"
        if t == "object" and "properties" in s:
            return "object {" + ", ".join(s["properties"]) + "}" + extra
        return f"{t or 'any'}{extra}"

    def field_table(self, s: Any, base: str) -> str:
        if not isinstance(s, dict) or "properties" not in s:
            return f"{self.type_text(s, base)}\n"
        req = set(s.get("required", []))
        rows = ["| field | type | required | notes |", "|---|---|---|---|"]
        for key, sub in s["properties"].items():
            note = sub.get("description", sub.get("$comment", "")) if isinstance(sub, dict) else ""
            if isinstance(sub, dict) and not note:
                for alt in sub.get("anyOf", []):
                    if isinstance(alt, dict) and (alt.get("description") or alt.get("$comment")):
                        note = alt.get("description") or alt.get("$comment")
            rows.append(f"| `{key}` | {md_escape(self.type_text(sub, base)).replace('&lt;', '<').replace('&gt;', '>')} "
                        f"| {'yes' if key in req else ''} | {md_escape(note)} |")
        closed = s.get("additionalProperties") is False
        return "\n".join(rows) + ("\n\nNo other field is accepted." if closed else "") + "\n"

    def module_page(self, m: dict) -> str:
        base = f"{m['module']}.json"
        guides = ", ".join(f"[{g}](../{g})" for g in m["guides"])
        out = [f"<!-- Generated by {GEN} from capi/ops/{base}: do not edit. -->",
               f"# {m['title']}", "", m["doc"], "", f"Concepts: {guides}.", ""]
        if "c_note" in m:
            out += [m["c_note"], ""]
        out += ["| operation | handle | scope | C function |", "|---|---|---|---|"]
        for op in m["operations"]:
            anchor = self.anchor(op)
            out.append(f"| [`{op['name']}`](#{anchor}) | {self.cat.handle(op)} | {scope_label(op)} | `{op['c_name']}` |")
        out.append("")
        for op in m["operations"]:
            handle = self.cat.handle(op)
            out += [f"## {op['name']}" + (" (admin handle)" if handle == "admin" and self.shared(op) else ""), ""]
            out += [f"`{op['c_name']}` · {handle} · scope `{scope_label(op)}` · since {op['since']}", ""]
            out += [md_escape(op["doc"]).replace("-&gt;", "→"), ""]
            if "c_signature" in op:
                out += [f"C: `{op['c_signature']}`. {md_escape(op['c_doc'])}", ""]
            out += ["**Input**", "", self.field_table(op["input"], base)]
            out += ["**Output**", "", self.field_table(self.deref(op["output"], base), base)]
            out += ["**Errors** (besides the [common errors](README.md#common-errors))", ""]
            if op["errors"]:
                out += ["| status | fields | when |", "|---|---|---|"]
                for e in op["errors"]:
                    fields = ", ".join(f"`{f}`" for f in e.get("fields", []))
                    out.append(f"| `{e['status']}` | {fields} | {md_escape(e.get('when', ''))} |")
            else:
                out.append("None of its own.")
            out.append("")
            out += ["**Example**", ""]
            if op.get("example_setup"):
                out += ["After:", "", "```json", json.dumps(op["example_setup"], indent=2, ensure_ascii=False), "```", ""]
            out += ["```json", json.dumps(op["example"], indent=2, ensure_ascii=False), "```", ""]
        return "\n".join(out).rstrip("\n") + "\n"

    def deref(self, s: Any, base: str) -> Any:
        """An output that is one $ref into types.schema.json shows that type's fields."""
        if isinstance(s, dict) and set(s) == {"$ref"} and s["$ref"].startswith("types.schema.json#"):
            target, _ = self.schemas.resolve(s["$ref"], base)
            return target
        return s

    def shared(self, op: dict) -> bool:
        return sum(1 for _, o in self.cat.operations() if o["name"] == op["name"]) > 1

    def anchor(self, op: dict) -> str:
        a = op["name"].replace(".", "")
        if self.cat.handle(op) == "admin" and self.shared(op):
            a += "-admin-handle"
        return a

    def index(self) -> str:
        out = [f"<!-- Generated by {GEN} from capi/ops/*.json: do not edit. -->",
               "# Operation reference", "",
               "Every operation of the engine, generated from the operation catalogue (`capi/ops/`, see",
               "[catalogue.md](../catalogue.md)). The same operation runs through its C function, through",
               "`loy_session_call` / `loy_admin_call` by name, and through every binding (`session.ledger.earn(...)`",
               "in Python). Inputs and outputs are UTF-8 JSON objects; shared types are in [types.md](types.md).",
               ""]
        total = sum(1 for _ in self.cat.operations())
        out += [f"{total} operations in {len(self.cat.modules)} modules:", ""]
        out += ["| module | operations |", "|---|---|"]
        for m in self.cat.modules:
            names = ", ".join(f"[`{op['name']}`]({m['module']}.md#{self.anchor(op)})" for op in m["operations"])
            out.append(f"| [{m['title']}]({m['module']}.md) | {names} |")
        out += ["", "## Common errors", "",
                "Every operation can also return these (not repeated per operation):", "",
                "| status | fields | when |", "|---|---|---|"]
        ce = self.cat.abi["common_errors"]
        for e in ce["all"]:
            out.append(f"| `{e['status']}` | {', '.join('`' + f + '`' for f in e.get('fields', []))} | {md_escape(e.get('when', ''))} |")
        out += ["", "and every session operation:", "", "| status | fields | when |", "|---|---|---|"]
        for e in ce["session"]:
            out.append(f"| `{e['status']}` | {', '.join('`' + f + '`' for f in e.get('fields', []))} | {md_escape(e.get('when', ''))} |")
        out += ["", "## Other C functions", "", "| function | since | what it does |", "|---|---|---|"]
        for f in self.cat.abi["functions"]:
            out.append(f"| `{f['signature']}` | {f['since']} | {md_escape(f['doc'])} |")
        return "\n".join(out) + "\n"

    def types_page(self) -> str:
        out = [f"<!-- Generated by {GEN} from capi/ops/types.schema.json: do not edit. -->",
               "# Shared types", "", self.cat.types.get("description", ""), ""]
        for name, s in self.cat.types.get("$defs", {}).items():
            out += [f"## {name}", ""]
            if isinstance(s, dict) and s.get("description"):
                out += [s["description"], ""]
            out += [self.field_table(s, "types.schema.json")]
            out += ["```json", json.dumps(s, indent=2, ensure_ascii=False), "```", ""]
        return "\n".join(out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------
# The files


def source_files(cat: Catalogue) -> Dict[str, str]:
    root = cat.root
    files: Dict[str, str] = {}
    header_path = "capi/include/loyalty.h"
    files[header_path] = fill_regions((root / header_path).read_text(), {
        "admin operations": header_region(cat, "admin operations"),
        "session operations": header_region(cat, "session operations"),
    }, header_path)
    files["capi/loyalty.symbols"] = symbols(cat)
    check_namespaces(cat)
    files["bindings/python/loyalty/_ops.py"] = python_ops(cat)
    files["bindings/python/loyalty/_ops.pyi"] = python_stub(cat)
    bundle = {"generated_by": GEN, "abi": cat.abi, "types": cat.types, "modules": cat.modules,
              "schemas": external_schemas(cat)}
    files["bindings/python/loyalty/catalogue.json"] = json.dumps(bundle, indent=1, ensure_ascii=False) + "\n"
    doc = Doc(cat)
    files["docs/api/README.md"] = doc.index()
    files["docs/api/types.md"] = doc.types_page()
    for m in cat.modules:
        files[f"docs/api/{m['module']}.md"] = doc.module_page(m)
    for path, regions in (("docs/abi.md", {"operation tables": abi_tables(cat)}),
                          ("docs/tenancy.md", {"scope table": tenancy_scopes(cat)}),
                          ("docs/python.md", {"python namespaces": python_namespaces(cat)})):
        files[path] = fill_regions((root / path).read_text(), regions, path)
    return files


def external_schemas(cat: Catalogue) -> Dict[str, Any]:
    """Every schema file outside capi/ops that an operation refers to (the rule and AI schemas of
    docs/schema), keyed by the path its $refs use (relative to capi/ops), so the bundle is whole."""
    found: Dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                file = ref.split("#", 1)[0]
                if file and file != "types.schema.json" and file not in found:
                    found[file] = json.loads((cat.dir / file).resolve().read_text())
                    walk(found[file])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk([m["operations"] for m in cat.modules])
    return dict(sorted(found.items()))


def build_files(cat: Catalogue) -> Dict[str, str]:
    return {"loyalty_ops.inc": c_wrappers(cat), "op_catalogue.inc": op_table(cat)}


def stale(cat: Catalogue) -> List[str]:
    problems = []
    for rel, want in source_files(cat).items():
        path = cat.root / rel
        have = path.read_text() if path.exists() else None
        if have != want:
            if have is None:
                problems.append(f"{rel}: missing")
                continue
            a, b = have.splitlines(), want.splitlines()
            line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            problems.append(f"{rel}:{line + 1}: differs from the catalogue")
    generated_api = {f"docs/api/{m['module']}.md" for m in cat.modules} | {"docs/api/README.md", "docs/api/types.md"}
    for p in sorted((cat.root / "docs" / "api").glob("*.md")):
        rel = str(p.relative_to(cat.root))
        if rel not in generated_api:
            problems.append(f"{rel}: not generated from the catalogue (a module that no longer exists?)")
    return problems


def node_generator(cat: Catalogue, check: bool) -> List[str]:
    """The Node package's own generator (bindings/node/scripts/gen.mjs: its method table and
    index.d.ts, from the same catalogue), run when Node is installed; its complaints, if any."""
    script = cat.root / "bindings" / "node" / "scripts" / "gen.mjs"
    node = shutil.which("node")
    if not script.exists() or not node:
        return []
    r = subprocess.run([node, str(script)] + (["--check"] if check else []), capture_output=True, text=True)
    if r.returncode != 0:
        return [(r.stderr or r.stdout).strip() or f"{script}: exit {r.returncode}"]
    return []


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["write", "check", "build"])
    ap.add_argument("--root", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent.parent)
    ap.add_argument("--out", type=pathlib.Path)
    args = ap.parse_args(argv)
    cat = Catalogue(args.root.resolve())
    if args.command == "write":
        for rel, text in source_files(cat).items():
            path = cat.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                print(f"catalogue_gen: wrote {rel}")
        problems = node_generator(cat, check=False)
        for p in problems:
            print(f"catalogue_gen: {p}", file=sys.stderr)
        return 1 if problems else 0
    if args.command == "build":
        if not args.out:
            ap.error("build needs --out")
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in build_files(cat).items():
            path = args.out / name
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
    problems = stale(cat) + node_generator(cat, check=True)
    for p in problems:
        print(f"catalogue_gen: {p}", file=sys.stderr)
    if problems:
        print(f"catalogue_gen: {len(problems)} generated file(s) are stale: run `{GEN} write`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
