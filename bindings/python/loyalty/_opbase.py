"""The machinery of the operation table (``_ops.py``, generated from the catalogue): the ``op``
descriptor that makes a method of an operation, the ``Namespace`` base of a module's methods, and
the ``namespace`` descriptor that puts a namespace on a handle.

An operation the engine has but the table lacks still works as a method (``Namespace.__getattr__``)
and through ``call``; the table adds the docstring and the type.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Generic, Mapping, Optional, Protocol, Type, TypeVar, overload

Result = Dict[str, Any]


class OpMethod(Protocol):
    """The type of a generated operation method: an input dict and/or keyword fields in, a dict out."""

    def __call__(self, input: Optional[Mapping[str, Any]] = None, /, **fields: Any) -> Result:
        """Runs the operation; raises a :class:`loyalty.Error` subclass on failure."""
        ...


class op:  # noqa: N801 (a descriptor used like a declaration)
    """Declares an operation method on a namespace class: ``earn = op("ledger.earn", "...")``."""

    __slots__ = ("name", "doc", "attr")

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.doc = doc
        self.attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, ns: None, owner: type) -> "op": ...

    @overload
    def __get__(self, ns: "Namespace", owner: type) -> OpMethod: ...

    def __get__(self, ns: Optional["Namespace"], owner: type) -> Any:
        if ns is None:
            return self
        bound = _bind(ns, self.name, self.doc)
        ns.__dict__[self.attr] = bound  # cached: later lookups skip the descriptor
        return bound


def _bind(ns: "Namespace", name: str, doc: str) -> OpMethod:
    fn: Any = functools.partial(ns._call, name)
    fn.__doc__ = doc
    return fn  # type: ignore[no-any-return]


class Namespace:
    """The operations of one module on a session or admin handle (``session.ledger``)."""

    #: The module prefix of the operation names (``"ledger"``).
    PREFIX = ""

    def __init__(self, call: Callable[..., Result], known: Callable[[str], bool]) -> None:
        self._call = call
        self._known = known

    def __getattr__(self, attr: str) -> OpMethod:
        # An operation the engine has but the table does not list yet.
        name = f"{self.PREFIX}.{attr}"
        if attr.startswith("_") or not self._known(name):
            raise AttributeError(f"no operation '{name}'")
        bound = _bind(self, name, f"Runs the engine operation '{name}'.")
        self.__dict__[attr] = bound
        return bound

    def __repr__(self) -> str:
        return f"<loyalty operations {self.PREFIX}.*>"


T = TypeVar("T", bound=Namespace)


class namespace(Generic[T]):  # noqa: N801 (a descriptor used like a declaration)
    """Declares a namespace attribute on a handle class: ``ledger = namespace(LedgerOps)``."""

    __slots__ = ("cls", "attr")

    def __init__(self, cls: Type[T]) -> None:
        self.cls = cls
        self.attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, obj: None, owner: type) -> "namespace[T]": ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: Optional[object], owner: type) -> Any:
        if obj is None:
            return self
        # The native handle's call: a generated method is a functools.partial over it, with no
        # Python frame between the caller and the native module.
        ns = self.cls(obj._h.call, obj._known_op)  # type: ignore[attr-defined]
        obj.__dict__[self.attr] = ns  # cached per handle
        return ns


def declared_operations(handle_class: type) -> Dict[str, str]:
    """Operation name -> docstring for every ``op`` line reachable from a handle class's namespaces
    (declared on the class or on a base, such as the generated ``SessionNamespaces``)."""
    out: Dict[str, str] = {}
    attrs = [a for klass in reversed(handle_class.__mro__) for a in vars(klass).values()]
    for attr in attrs:
        if not isinstance(attr, namespace):
            continue
        for value in vars(attr.cls).values():
            if isinstance(value, op):
                out[value.name] = value.doc
    return out
