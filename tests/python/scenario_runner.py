"""The Python scenario driver: runs tests/scenarios/**/*.json through the `loyalty` package.

A port of the C++ driver (tests/scenarios/driver.cpp); the format and its rules are in
tests/scenarios/README.md, and where this file and that page disagree, this file is wrong.

Two modes run the same files:
- ``"dict"``: inputs as Python dicts through ``Session.call`` / ``Admin.call``, results as dicts
  with aware datetimes (``datetimes=True``), written back to the engine's text form before
  matching (so the datetime conversion must round-trip exactly);
- ``"json"``: JSON text through ``call_json`` (the raw path).

Usage: python scenario_runner.py [-v] [--mode dict|json] [PATH...]
Exit: 0 all passed, 1 something failed, 77 everything skipped.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import loyalty

ROOT = Path(__file__).resolve().parents[2] / "tests" / "scenarios"
ADMIN_KEY = "scenario-admin-credential-0123456789"
OPERATORS = {"$any", "$absent", "$len", "$contains", "$exact", "$ne"}
_TERM = re.compile(r"(\d+)(ms|d|h|m|s)")
_VAR = re.compile(r"[A-Za-z0-9_.]+")
_SCALE = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}


class FileError(Exception):
    """A problem with the scenario file itself (reported like a failing step)."""


class StepFailure(Exception):
    """A failed step: ``step`` labels it, ``report`` holds the lines to print under it."""

    def __init__(self, step: str, report: str) -> None:
        super().__init__(f"step {step}\n{report}")
        self.step = step
        self.report = report


def show(j: Any) -> str:
    return json.dumps(j, separators=(",", ":"), ensure_ascii=False)


def parse_duration(text: Any) -> int:
    if not isinstance(text, str) or not text:
        raise FileError("empty duration")
    total, pos = 0, 0
    for m in _TERM.finditer(text):
        if m.start() != pos:
            break
        total += int(m.group(1)) * _SCALE[m.group(2)]
        pos = m.end()
    if pos != len(text):
        raise FileError(f"malformed duration '{text}' (use e.g. 30d, 1h30m, 5s)")
    return total


def parse_time(j: Any, what: str) -> int:
    if not isinstance(j, str):
        raise FileError(f"{what} must be an RFC 3339 string")
    t = loyalty._native.parse_time(j)
    if t is None:
        raise FileError(f"{what}: malformed time {show(j)}")
    return t


def resolve_path(root: Any, path: str) -> Tuple[bool, Any]:
    cur = root
    if path == "":
        return True, cur
    for seg in path.split("."):
        if isinstance(cur, dict):
            if seg not in cur:
                return False, None
            cur = cur[seg]
        elif isinstance(cur, list):
            if not seg or not seg.isdigit() or not seg.isascii():
                return False, None
            n = int(seg)
            if n >= len(cur):
                return False, None
            cur = cur[n]
        else:
            return False, None
    return True, cur


def require_keys(obj: Any, allowed: set, where: str) -> None:
    if not isinstance(obj, dict):
        raise FileError(f"{where} must be an object")
    for k in obj:
        if k not in allowed:
            raise FileError(f"{where}: unknown key '{k}'")


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    raise TypeError(f"not JSON: {type(v).__name__}")


def deep_equal(a: Any, b: Any) -> bool:
    """Same JSON type; numbers by value; a boolean never equals a number."""
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return False
    if ka == "array":
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b))
    if ka == "object":
        return len(a) == len(b) and all(k in b and deep_equal(v, b[k]) for k, v in a.items())
    return bool(a == b)


def is_operator(e: Any) -> bool:
    return isinstance(e, dict) and len(e) == 1 and next(iter(e)) in OPERATORS


def is_absent(e: Any) -> bool:
    return is_operator(e) and next(iter(e)) == "$absent"


def _at(path: str) -> str:
    return path if path else "(result)"


Mismatch = Tuple[str, str, str]


def match(expected: Any, actual: Any, path: str, out: List[Mismatch]) -> None:
    if is_operator(expected):
        op, arg = next(iter(expected.items()))
        if op == "$any":
            return
        if op == "$absent":
            out.append((_at(path), "$absent only inside an object", show(actual)))
        elif op == "$len":
            ok = isinstance(actual, list) and isinstance(arg, int) and not isinstance(arg, bool) and len(actual) == arg
            if not ok:
                got = f"length {len(actual)}" if isinstance(actual, list) else show(actual)
                out.append((_at(path), "an array of length " + show(arg), got))
        elif op == "$contains":
            if not isinstance(actual, list) or not isinstance(arg, list):
                out.append((_at(path), "an array containing " + show(arg), show(actual)))
                return
            for m in arg:
                found = False
                for el in actual:
                    ignored: List[Mismatch] = []
                    match(m, el, path, ignored)
                    if not ignored:
                        found = True
                        break
                if not found:
                    out.append((_at(path), "an element matching " + show(m), show(actual)))
        elif op == "$exact":
            if not deep_equal(arg, actual):
                out.append((_at(path), "exactly " + show(arg), show(actual)))
        elif op == "$ne":
            if deep_equal(arg, actual):
                out.append((_at(path), "anything but " + show(arg), show(actual)))
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            out.append((_at(path), "an object", show(actual)))
            return
        for k, e in expected.items():
            p = k if not path else f"{path}.{k}"
            if is_absent(e):
                if k in actual:
                    out.append((p, "absent", show(actual[k])))
            elif k not in actual:
                out.append((p, show(e), "(missing)"))
            else:
                match(e, actual[k], p, out)
        return
    if isinstance(expected, list):
        if not isinstance(actual, list):
            out.append((_at(path), "an array", show(actual)))
            return
        if len(expected) != len(actual):
            out.append((_at(path), f"an array of length {len(expected)}", f"length {len(actual)}"))
            return
        for i, (e, a) in enumerate(zip(expected, actual)):
            match(e, a, f"{path}[{i}]", out)
        return
    if not deep_equal(expected, actual):
        out.append((_at(path), show(expected), show(actual)))


def format_mismatches(ms: List[Mismatch]) -> str:
    return "".join(f"    {p}: expected {e}, got {a}\n" for p, e, a in ms)


def plain(v: Any) -> Any:
    """A result with datetimes written back as the engine's text (dict mode)."""
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, _dt.datetime):
        return loyalty.format_time(v)
    return v


def error_json(e: loyalty.Error) -> Dict[str, Any]:
    out: Dict[str, Any] = {"code": e.code, "status": e.status, "message": e.message}
    if e.field:
        out["field"] = e.field
    return out


class _Target:
    """A session or the admin, called in the runner's mode."""

    def __init__(self, handle: Any, mode: str) -> None:
        self.handle = handle
        self.mode = mode

    def call(self, op: str, input: Dict[str, Any]) -> Any:
        if self.mode == "json":
            result = json.loads(self.handle.call_json(op, json.dumps(input)))
            check_output(isinstance(self.handle, loyalty.Admin), op, result)
            return result
        return plain(self.handle.call(op, input))


_OUTPUT_VALIDATORS: Optional[Dict[Tuple[bool, str], Any]] = None


def check_output(admin: bool, op: str, result: Any) -> None:
    """Every result of the json mode against its operation's output schema in the catalogue
    (capi/ops/*.json), when jsonschema is installed: each scenario step is one more output checked."""
    global _OUTPUT_VALIDATORS
    if _OUTPUT_VALIDATORS is None:
        _OUTPUT_VALIDATORS = _load_validators()
    validator = _OUTPUT_VALIDATORS.get((admin, op))
    if validator is None:
        return
    errors = sorted(validator.iter_errors(result), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(the result)"
        raise AssertionError(f"{op}: the result breaks its output schema at {where}: {e.message}\n{show(result)}")


def _load_validators() -> Dict[Tuple[bool, str], Any]:
    try:
        import referencing
        import referencing.jsonschema
        from jsonschema import Draft202012Validator
    except ImportError:
        return {}
    repo = Path(__file__).resolve().parents[2]
    resources = []
    for base in (repo / "capi" / "ops", repo / "docs" / "schema"):
        for f in sorted(base.rglob("*.schema.json")):
            res = referencing.Resource.from_contents(json.loads(f.read_text()),
                                                     default_specification=referencing.jsonschema.DRAFT202012)
            resources.append((f.resolve().as_uri(), res))
    registry = referencing.Registry().with_resources(resources)
    out: Dict[Tuple[bool, str], Any] = {}
    for f in sorted((repo / "capi" / "ops").glob("*.json")):
        if f.name.endswith(".schema.json"):
            continue
        for o in json.loads(f.read_text()).get("operations", []):
            schema = o["output"]
            if isinstance(schema, dict):
                schema = {**schema, "$id": f.resolve().as_uri()}
            out[(o["scope"] == "engine-admin", o["name"])] = Draft202012Validator(schema, registry=registry)
    return out


class Runner:
    """Runs one scenario; raises StepFailure or FileError."""

    def __init__(self, scenario: Dict[str, Any], mode: str = "dict", verbose: bool = False) -> None:
        self.s = scenario
        self.mode = mode
        self.verbose = verbose
        self.sessions: Dict[str, _Target] = {}
        self.tenant_order: List[str] = []
        self.vars: Dict[str, Any] = {}
        self.engine: Optional[loyalty.Engine] = None

    def run(self) -> None:
        require_keys(self.s, {"name", "description", "now", "setup", "steps", "verify", "skip"}, "scenario")
        self.clock = loyalty.ManualClock(parse_time(self.s.get("now"), "now"))
        steps = self.s.get("steps")
        if not isinstance(steps, list) or not steps:
            raise FileError("steps must be a non-empty array")
        try:
            self.setup()
            for n, st in enumerate(steps):
                self.step(n, st)
            if self.s.get("verify", True):
                self.verify()
        finally:
            if self.engine is not None:
                self.engine.close()

    def bind(self, name: str, value: Any, from_setup: bool) -> None:
        if not isinstance(name, str) or not _VAR.fullmatch(name):
            raise FileError(f"bad variable name '{name}'")
        if from_setup and name in self.vars:
            raise FileError(f"variable '{name}' is bound twice in setup")
        self.vars[name] = value

    def add_session(self, name: str, s: loyalty.Session) -> None:
        if name == "admin" or name in self.sessions:
            raise FileError(f"session name '{name}' is taken")
        self.sessions[name] = _Target(s, self.mode)

    def setup(self) -> None:
        self.engine = loyalty.Engine.open(":memory:", clock=self.clock, admin_key=ADMIN_KEY, datetimes=self.mode == "dict")
        self.admin = _Target(self.engine.admin(ADMIN_KEY), self.mode)
        setup = self.s.get("setup", {})
        require_keys(setup, {"tenants"}, "setup")
        tenants = setup.get("tenants", [{"name": "main"}])
        if not isinstance(tenants, list):
            raise FileError("setup.tenants must be an array")
        try:
            for t in tenants:
                self.setup_tenant(t)
        except loyalty.Error as e:
            raise StepFailure("setup", f"    {show(error_json(e))}\n") from None

    def setup_tenant(self, t: Any) -> None:
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise FileError("each setup tenant needs a string name")
        assert self.engine is not None
        name = t["name"]
        create = {k: v for k, v in t.items() if k not in ("programs", "customers", "keys")}
        created = self.admin.call("tenant.create", create)
        self.add_session(name, self.engine.session(created["api_key"]["key"]))
        self.tenant_order.append(name)
        self.bind(name + ".tenant_id", created["tenant"]["id"], True)
        session = self.sessions[name]
        for p in t.get("programs", [{}]):
            inp = {"name": "Main", "currency": "EUR"}
            inp.update({k: v for k, v in p.items() if k != "as"})
            program = session.call("program.create", inp)
            if "as" in p:
                self.bind(p["as"], program["id"], True)
        for c in t.get("customers", []):
            customer = session.call("customer.enroll", {"external_id": c})
            self.bind(c, customer["id"], True)
        for k in t.get("keys", []):
            require_keys(k, {"session", "scopes"}, "setup key")
            key = session.call("apikey.create", {"name": k["session"], "scopes": k["scopes"]})
            self.add_session(k["session"], self.engine.session(key["key"]))

    def substitute(self, j: Any) -> Any:
        if isinstance(j, str):
            if j.startswith("$$"):
                return j[1:]
            if j.startswith("$"):
                if j[1:] not in self.vars:
                    raise FileError(f"unbound variable {j}")
                return self.vars[j[1:]]
            return j
        if isinstance(j, dict):
            return {k: self.substitute(v) for k, v in j.items()}
        if isinstance(j, list):
            return [self.substitute(v) for v in j]
        return j

    def step(self, n: int, st: Any) -> None:
        label = str(n)
        if isinstance(st, dict) and "op" in st:
            label += f" ({st['op']}"
        if isinstance(st, dict) and "note" in st:
            label += (": " if "op" in st else " (") + str(st["note"])
        if isinstance(st, dict) and ("op" in st or "note" in st):
            label += ")"
        try:
            self.run_step(st, label)
        except StepFailure:
            raise
        except (FileError, KeyError, TypeError, ValueError) as e:
            raise StepFailure(label, f"    {e}\n") from None

    def run_step(self, st: Any, label: str) -> None:
        require_keys(st, {"note", "at", "advance", "op", "session", "input", "expect", "error", "capture"}, "step")
        if "at" in st:
            self.clock.set(parse_time(st["at"], "at"))
        if "advance" in st:
            self.clock.advance(parse_duration(st["advance"]))
        if "op" not in st:
            for k in ("session", "input", "expect", "error", "capture"):
                if k in st:
                    raise FileError(f"'{k}' needs an 'op'")
            return
        if "error" in st and ("expect" in st or "capture" in st):
            raise FileError("'error' cannot be combined with 'expect' or 'capture'")
        op = st["op"]
        session = st.get("session", self.tenant_order[0] if self.tenant_order else "admin")
        inp = self.substitute(st.get("input", {}))
        if not isinstance(inp, dict):
            raise FileError("input must be an object")

        result: Any = None
        error: Optional[loyalty.Error] = None
        try:
            if session == "admin":
                result = self.admin.call(op, inp)
            else:
                if session not in self.sessions:
                    raise FileError(f"unknown session '{session}'")
                result = self.sessions[session].call(op, inp)
        except loyalty.Error as e:
            error = e
        if self.verbose:
            now = loyalty.format_time(self.clock.now_ms())
            shown = f"result: {show(result)}" if error is None else f"error: {show(error_json(error))}"
            print(f"  step {label} at {now}\n    input: {show(inp)}\n    {shown}")

        if "error" in st:
            want = self.substitute(st["error"])
            require_keys(want, {"status", "field", "detail"}, "error")
            if "status" not in want:
                raise FileError("error needs a status")
            if error is None:
                raise StepFailure(
                    label, f"    expected error {show(want)}, but the call succeeded\n    result: {show(result)}\n"
                )
            got = {"status": error.status, "field": error.field if error.field else None, "detail": error.detail}
            ms: List[Mismatch] = []
            match(want, got, "error", ms)
            if ms:
                raise StepFailure(
                    label,
                    "    the error does not match:\n"
                    + format_mismatches(ms)
                    + f"    actual error: {show(error_json(error))}\n",
                )
            return
        if error is not None:
            raise StepFailure(label, f"    unexpected error: {show(error_json(error))}\n")
        if "expect" in st:
            ms = []
            match(self.substitute(st["expect"]), result, "", ms)
            if ms:
                raise StepFailure(
                    label,
                    "    the result does not match:\n"
                    + format_mismatches(ms)
                    + "    actual result: "
                    + json.dumps(result, indent=2).replace("\n", "\n    ")
                    + "\n",
                )
        if "capture" in st:
            if not isinstance(st["capture"], dict):
                raise FileError("capture must be an object")
            for var, path in st["capture"].items():
                ok, v = resolve_path(result, path)
                if not ok:
                    raise StepFailure(
                        label, f"    capture {var}: no value at path '{path}'\n    actual result: {show(result)}\n"
                    )
                self.bind(var, v, False)

    def verify(self) -> None:
        for name in self.tenant_order:
            try:
                r = self.sessions[name].call("ledger.verify", {})
            except loyalty.Error as e:
                raise StepFailure("verify", f"    tenant {name}: {show(error_json(e))}\n") from None
            if r.get("ok") is not True:
                raise StepFailure("verify", f"    tenant {name}: ledger invariants violated:\n    {show(r)}\n")


def run_file(path: Path, mode: str = "dict", verbose: bool = False) -> Tuple[str, str]:
    """Runs one file; returns (verdict, report) with verdict PASS, FAIL or SKIP."""
    try:
        rel = path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        rel = path.as_posix()
    try:
        scenario = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return "FAIL", f"FAIL {rel}\n  {e}\n"
    name = scenario.get("name", "(no name)") if isinstance(scenario, dict) else "(not an object)"
    if isinstance(scenario, dict) and "skip" in scenario:
        return "SKIP", f"SKIP {rel}: {name} ({scenario['skip']})\n"
    try:
        if not isinstance(scenario, dict) or "name" not in scenario or "description" not in scenario:
            raise FileError("a scenario needs a name and a description")
        Runner(scenario, mode, verbose).run()
    except StepFailure as f:
        return "FAIL", f"FAIL {rel}: {name}\n  step {f.step}\n{f.report}"
    except (FileError, KeyError, TypeError, ValueError) as e:
        return "FAIL", f"FAIL {rel}: {name}\n  {e}\n"
    return "PASS", f"PASS {rel}: {name}\n"


def scenario_files(inputs: Optional[List[Path]] = None) -> List[Path]:
    files: List[Path] = []
    for p in inputs or [ROOT]:
        if p.is_dir():
            files.extend(q for q in p.rglob("*.json") if q.is_file())
        else:
            files.append(p)
    return sorted(files)


def main(argv: List[str]) -> int:
    verbose, mode, inputs = False, "dict", []
    it = iter(argv)
    for a in it:
        if a in ("-v", "--verbose"):
            verbose = True
        elif a == "--mode":
            mode = next(it)
        else:
            inputs.append(Path(a))
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    files = scenario_files(inputs)
    for f in files:
        verdict, report = run_file(f, mode, verbose)
        counts[verdict] += 1
        sys.stdout.write(report)
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    if counts["FAIL"] or not files:
        return 1
    return 77 if counts["PASS"] == 0 and counts["SKIP"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
