"""The package itself: version, operation table, docstrings, stubs, the example."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import loyalty
from loyalty._ops import Namespace, declared_operations
from conftest import REPO


def test_version_comes_from_the_version_file() -> None:
    text = (REPO / "VERSION").read_text()
    version = re.search(r"^LOY_VERSION=(\S+)$", text, re.M)
    assert version and loyalty.__version__ == version.group(1)


def test_every_table_line_names_an_engine_operation() -> None:
    assert set(declared_operations(loyalty.Session)) <= loyalty.Session.operations()
    assert set(declared_operations(loyalty.Admin)) <= loyalty.Admin.operations()


def test_every_engine_operation_is_a_method(session: loyalty.Session, admin: loyalty.Admin) -> None:
    # Operations without a table line yet (a module that just landed) still work as methods.
    for handle, ops in ((session, loyalty.Session.operations()), (admin, loyalty.Admin.operations())):
        for name in sorted(ops):
            prefix, attr = name.split(".", 1)
            method = getattr(getattr(handle, prefix), attr)
            assert callable(method) and method.__doc__, name
    missing = (set(loyalty.Session.operations()) - set(declared_operations(loyalty.Session))) | (
        set(loyalty.Admin.operations()) - set(declared_operations(loyalty.Admin))
    )
    if missing:
        warnings.warn(f"operations without a line in loyalty/_ops.py: {sorted(missing)}")


def test_generated_methods_call_the_right_operation(session: loyalty.Session, customer: str) -> None:
    assert session.ledger.balance(customer_id=customer) == session.call("ledger.balance", customer_id=customer)
    assert "earn" in loyalty.Session.ledger.cls.earn.doc.lower()
    with pytest.raises(AttributeError):
        session.ledger.no_such_operation
    with pytest.raises(AttributeError):
        session.nosuchmodule


def test_dynamic_namespace_for_an_unlisted_module(session: loyalty.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    # As if the engine build had a module the package has no namespace line for.
    monkeypatch.setattr(loyalty.Session, "_OPS", loyalty.Session.operations() | {"analytics.summary"})
    ns = session.analytics
    assert isinstance(ns, Namespace) and ns.PREFIX == "analytics"
    with pytest.raises(loyalty.InvalidError) as exc:  # the engine does not know it (yet)
        ns.summary(x=1)
    assert exc.value.field == "operation"


def _public_names():
    for name in loyalty.__all__:
        obj = getattr(loyalty, name)
        yield name, obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(member, (property, classmethod, staticmethod))):
                    yield f"{name}.{attr}", member


def test_every_public_name_has_a_docstring() -> None:
    undocumented = []
    for name, obj in _public_names():
        if isinstance(obj, (str, dict)) or name in ("ClockFn", "LogFn", "TimeLike"):
            continue
        target = obj.__func__ if isinstance(obj, (classmethod, staticmethod)) else obj
        if not (getattr(target, "__doc__", None) or "").strip():
            undocumented.append(name)
    assert not undocumented


def test_namespaces_and_operations_are_documented() -> None:
    for handle in (loyalty.Session, loyalty.Admin):
        for name, doc in declared_operations(handle).items():
            assert doc.strip(), name
        for attr, value in vars(handle).items():
            if hasattr(value, "cls"):
                assert value.cls.__doc__, attr


def test_typing_files_are_installed() -> None:
    pkg = Path(loyalty.__file__).parent
    assert (pkg / "py.typed").exists()
    assert (pkg / "_native.pyi").exists()


def test_quickstart_example_runs(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(REPO / "examples" / "python" / "01_quickstart.py"), str(tmp_path / "quick.db")],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "balance after the return: 70" in r.stdout


def test_docs_list_every_namespace_and_method() -> None:
    # docs/python.md's namespace table is the package's: every namespace of Session and Admin
    # with every declared method, and nothing else.
    from loyalty._ops import namespace, op

    text = (REPO / "docs" / "python.md").read_text()
    rows = {
        name: set(re.findall(r"`(\w+)`", methods))
        for name, methods in re.findall(r"^\|\s*`((?:Session|Admin)\.\w+)`\s*\|(.*)\|\s*$", text, re.M)
    }
    declared = {}
    for handle in (loyalty.Session, loyalty.Admin):
        for attr, ns in [(a, v) for klass in handle.__mro__ for a, v in vars(klass).items()]:
            if isinstance(ns, namespace):
                declared[f"{handle.__name__}.{attr}"] = {a for a, v in vars(ns.cls).items() if isinstance(v, op)}
    assert rows == declared
