"""The engine's operation catalogue as OpenAPI request/response bodies: the bundle the ``loyalty``
package ships (``loyalty/catalogue.json``, generated from ``capi/ops/*.json``), or a checkout's
``capi/ops``.

Endpoints that pass an engine operation through take their documented bodies from the
operation's input and output JSON Schemas here, instead of restating them: ``request(op,
drop=...)`` is the op's input without the fields the server fills in itself (the customer of the
token, the id of the URL), ``response(op)`` its output. ``$ref``s are inlined (the schemas are
draft 2020-12, which OpenAPI 3.1 uses as is).
"""

import copy
import functools
import json
import pathlib

from .. import conf

_KEEP_OUT = {"$schema", "$id", "$defs", "$comment", "x-handler-checks"}


def _candidates():
    configured = conf.get("CATALOGUE_DIR")
    if configured:
        yield pathlib.Path(configured)
    here = pathlib.Path(__file__).resolve()
    for parent in here.parents:
        yield parent / "capi" / "ops"


@functools.lru_cache(maxsize=1)
def directory() -> pathlib.Path | None:
    for c in _candidates():
        if (c / "types.schema.json").is_file():
            return c
    return None


# The files of the catalogue bundle (loyalty/catalogue.json), by the path each would have in a
# checkout rooted at _BUNDLE_ROOT, so $refs resolve the same way as with capi/ops on disk.
_VIRTUAL: dict = {}
_BUNDLE_ROOT = pathlib.Path("/loyalty-catalogue")


def _bundle():
    """The whole catalogue as the installed ``loyalty`` package ships it, or None."""
    try:
        import importlib.resources

        return json.loads((importlib.resources.files("loyalty") / "catalogue.json").read_text())
    except Exception:
        return None


@functools.lru_cache(maxsize=None)
def _load(path: str):
    if path in _VIRTUAL:
        return _VIRTUAL[path]
    return json.loads(pathlib.Path(path).read_text())


@functools.lru_cache(maxsize=1)
def operations() -> dict:
    """(handle, name) -> the operation's entry; handle ``admin`` or ``session``. From
    ``LOYALTY["CATALOGUE_DIR"]`` when set, else from the bundle the package ships, else from the
    checkout's capi/ops."""
    out = {}
    bundle = None if conf.get("CATALOGUE_DIR") else _bundle()
    if bundle is not None:
        ops_dir = _BUNDLE_ROOT / "capi" / "ops"
        _VIRTUAL[str(ops_dir / "types.schema.json")] = bundle["types"]
        for ref, content in bundle.get("schemas", {}).items():
            _VIRTUAL[str((ops_dir / ref).resolve())] = content
        for module in bundle["modules"]:
            f = ops_dir / f"{module['module']}.json"
            _VIRTUAL[str(f)] = module
            for op in module["operations"]:
                handle = "admin" if op["scope"] == "engine-admin" else "session"
                out[(handle, op["name"])] = dict(op, _file=str(f))
        return out
    d = directory()
    if d is None:
        return out
    for f in sorted(d.glob("*.json")):
        if f.name.endswith(".schema.json"):
            continue
        for op in _load(str(f)).get("operations", []):
            handle = "admin" if op["scope"] == "engine-admin" else "session"
            out[(handle, op["name"])] = dict(op, _file=str(f))
    return out


def _pointer(doc, pointer: str):
    node = doc
    for part in [p for p in pointer.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _inline(node, base: pathlib.Path, active=()):
    """``node`` with every ``$ref`` replaced by its target; a reference met again inside its
    own expansion (the recursive rule conditions) becomes a permissive ``{}``."""
    if isinstance(node, list):
        return [_inline(n, base, active) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        file_part, _, frag = ref.partition("#")
        target_file = (base.parent / file_part).resolve() if file_part else base
        key = (str(target_file), frag)
        if key in active:
            return {"description": "recursive: see the engine's catalogue"}
        try:
            target = _pointer(_load(str(target_file)), frag)
        except (OSError, KeyError, IndexError, ValueError):
            target = {}
        merged = _inline(target, target_file, active + (key,))
        rest = {k: _inline(v, base, active) for k, v in node.items() if k != "$ref" and k not in _KEEP_OUT}
        if rest and isinstance(merged, dict):
            merged = {**merged, **rest}
        return merged
    return {k: _inline(v, base, active) for k, v in node.items() if k not in _KEEP_OUT}


@functools.lru_cache(maxsize=None)
def _schema(handle: str, name: str, part: str):
    op = operations().get((handle, name))
    if op is None:
        return {"type": "object"}
    return _inline(op[part], pathlib.Path(op["_file"]))


def doc(name: str, handle: str = "session") -> str:
    op = operations().get((handle, name))
    return op["doc"] if op else ""


def request(name: str, drop=(), handle: str = "session", require=()) -> dict:
    """The input schema of ``name`` without the fields in ``drop``."""
    s = copy.deepcopy(_schema(handle, name, "input"))
    props = s.get("properties")
    if isinstance(props, dict):
        for f in drop:
            props.pop(f, None)
        if "required" in s:
            s["required"] = [r for r in s["required"] if r not in drop]
            if not s["required"]:
                del s["required"]
        if require:
            s["required"] = sorted(set(s.get("required", [])) | set(require))
    return s


def response(name: str, handle: str = "session") -> dict:
    return copy.deepcopy(_schema(handle, name, "output"))


def list_of(name: str, handle: str = "session", key: str = "items") -> dict:
    """The item schema of a list operation's ``items``."""
    out = _schema(handle, name, "output")
    try:
        return copy.deepcopy(out["properties"][key]["items"])
    except (KeyError, TypeError):
        return {"type": "object"}


def page_of(item: dict) -> dict:
    """A DRF page-number page of ``item``."""
    return {
        "type": "object",
        "required": ["count", "next", "previous", "results"],
        "properties": {
            "count": {"type": "integer"},
            "next": {"type": ["string", "null"], "format": "uri"},
            "previous": {"type": ["string", "null"], "format": "uri"},
            "results": {"type": "array", "items": item},
        },
    }
