"""Engine, Admin, Session and ManualClock: the Python face of the C++ engine."""

from __future__ import annotations

import datetime as _dt
import json as _json
from types import TracebackType
from typing import Any, Callable, Dict, FrozenSet, Mapping, Optional, Type, TypeVar, Union

from . import _native
from ._opbase import Namespace
from ._ops import AdminNamespaces, SessionNamespaces

Result = Dict[str, Any]
#: A time accepted by the package: an aware datetime, or integer UTC milliseconds.
TimeLike = Union[_dt.datetime, int]
#: The clock callable's type: returns an aware datetime or integer UTC milliseconds.
ClockFn = Callable[[], TimeLike]
#: The log sink's type: ``log(level, message)`` with level "debug", "info", "warn" or "error".
LogFn = Callable[[str, str], None]

_SESSION_OPS: FrozenSet[str] = frozenset(_native.session_operations())
_ADMIN_OPS: FrozenSet[str] = frozenset(_native.admin_operations())

_H = TypeVar("_H", bound="_Handle")


def _to_ms(t: TimeLike, what: str) -> int:
    if isinstance(t, bool) or not isinstance(t, (int, _dt.datetime)):
        raise TypeError(f"{what} must be an aware datetime or int milliseconds")
    return t if isinstance(t, int) else _native.datetime_to_ms(t)


class ManualClock:
    """A clock that moves only when told to: pins the engine's time in tests.

    Thread-safe, and read by the engine without the GIL. Pass it as ``Engine.open(clock=...)``.

    >>> clock = ManualClock(datetime(2026, 3, 1, tzinfo=timezone.utc))
    >>> clock.advance(timedelta(days=30))
    """

    __slots__ = ("_native",)

    def __init__(self, start: TimeLike) -> None:
        """Starts the clock at ``start`` (an aware datetime or UTC milliseconds).

        The clock holds years 0001..9999 (:class:`loyalty.InvalidError` naming ``start``, ``t``
        or ``by`` otherwise); an engine refuses a reading before 1970 with InvalidError naming
        ``clock``.
        """
        self._native = _native.ManualClock(_to_ms(start, "start"))

    def now(self) -> _dt.datetime:
        """The clock's time as an aware UTC datetime."""
        return _native.ms_to_datetime(self._native.now_ms())

    def now_ms(self) -> int:
        """The clock's time in UTC milliseconds since the Unix epoch."""
        return self._native.now_ms()

    def set(self, t: TimeLike) -> None:
        """Sets the time (an aware datetime or UTC milliseconds)."""
        self._native.set_ms(_to_ms(t, "t"))

    def advance(self, by: Union[_dt.timedelta, int]) -> None:
        """Moves the clock forward (or back, when negative) by a timedelta or milliseconds."""
        if isinstance(by, _dt.timedelta):
            ms = (by.days * 86_400_000) + (by.seconds * 1000) + (by.microseconds // 1000)
        elif isinstance(by, int) and not isinstance(by, bool):
            ms = by
        else:
            raise TypeError("by must be a timedelta or int milliseconds")
        self._native.advance_ms(ms)

    def __repr__(self) -> str:
        return f"ManualClock({self.now().isoformat()})"


class _Handle:
    """Shared behaviour of the handles: ``with`` blocks and ``close()``."""

    __slots__ = ()
    _h: Any

    def close(self) -> None:
        """Closes the handle (idempotent); later calls on it raise :class:`loyalty.MisuseError`."""
        self._h.close()

    @property
    def closed(self) -> bool:
        """True once this handle (or, for admins and sessions, its engine) has been closed."""
        return bool(self._h.closed)

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class Engine(_Handle):
    """An engine: one database plus its configuration. Thread-safe: share it between threads.

    Open it with :meth:`Engine.open`. ``close()`` (or the end of a ``with`` block) closes the
    engine: every later call on it, its admins and its sessions raises
    :class:`loyalty.MisuseError`; calls already running finish. Dropping the last reference
    without closing releases the engine once its admins and sessions are gone too (children
    keep their engine alive, so objects may be collected in any order).
    """

    __slots__ = ("_h", "__weakref__")

    def __init__(self, handle: Any) -> None:
        """Internal: use :meth:`Engine.open`."""
        self._h = handle

    @classmethod
    def open(
        cls,
        uri: str = ":memory:",
        *,
        admin_key: Optional[str] = None,
        clock: Union[ManualClock, ClockFn, None] = None,
        synchronous: str = "full",
        busy_timeout_ms: int = 5000,
        pool_size: int = 4,
        cache_mb: int = 64,
        wal_autocheckpoint: int = 10000,
        log: Optional[LogFn] = None,
        datetimes: bool = True,
        master_key: Optional[str] = None,
    ) -> "Engine":
        """Opens (creating and migrating if needed) the database at ``uri``.

        Args:
            uri: ``sqlite:///absolute/path.db``, ``sqlite://relative/path.db``, a plain path, or
                ``":memory:"`` (the default; one connection, gone when the engine is).
            admin_key: the engine administrator's credential (at least 16 bytes). The first
                engine to open a database with one records its hash; later opens may omit it, and
                a different one raises :class:`loyalty.ForbiddenError`.
            clock: a :class:`ManualClock`, or a callable returning an aware datetime or UTC
                milliseconds (called from any thread, with the GIL taken for the call); the
                system clock when None. A reading outside 1970-01-01..9999-12-31, or that is not
                a time, fails the call that read it with InvalidError naming ``clock``.
            synchronous: ``"full"`` (every acknowledged commit survives power loss) or ``"normal"``.
            busy_timeout_ms: how long a call waits for the write lock or a pooled connection
                before :class:`loyalty.BusyError`.
            pool_size: connections for concurrent calls (1..64; always 1 for ``:memory:``).
            cache_mb: SQLite page cache per connection, MiB.
            wal_autocheckpoint: WAL pages written before a commit also checkpoints.
            log: ``log(level, message)`` receives diagnostics from any thread (the GIL is taken).
            datetimes: when True (the default), time fields of results (``*_at``, ``at``, ``now``)
                are aware datetimes; when False they stay RFC 3339 strings as the engine writes them.
            master_key: the master key of personal data, 32 bytes as 64 hex digits or base64
                (docs/security.md); never stored in the database. Without it, personal fields of
                an encrypted file are reported unavailable (``personal_data``).

        Raises:
            InvalidError: a bad option (the field names it): a str with a lone surrogate, an
                int beyond 32 bits or outside the engine's range. A value of the wrong type is
                a TypeError.
            ForbiddenError: ``admin_key`` differs from the credential recorded in the database, or
                ``master_key`` from the key the file's personal data is encrypted with.
            StorageError: the database cannot be opened or is newer than this library.
        """
        native_clock: Any = clock._native if isinstance(clock, ManualClock) else clock
        return cls(
            _native.Engine.open(
                uri,
                admin_key or "",
                native_clock,
                synchronous,
                busy_timeout_ms,
                pool_size,
                cache_mb,
                wal_autocheckpoint,
                log,
                datetimes,
                master_key,
            )
        )

    def admin(self, admin_key: Optional[str] = None) -> "Admin":
        """Authenticates the engine administrator (creates tenants).

        ``admin_key`` defaults to the one given to :meth:`open`. Raises
        :class:`loyalty.ForbiddenError` for a wrong or unconfigured credential.
        """
        return Admin(self._h.admin(admin_key))

    def set_ai_provider(self, provider: Optional[Any]) -> None:
        """Registers the host's own AI provider for the tenants configured with ``provider: "callback"``.

        ``provider`` has the methods ``recommendations``, ``churn``, ``segmentation``,
        ``feedback`` and ``location_insights``, each taking the operation's input dict and
        returning its output dict (docs/ai.md), and optionally a ``model`` string attribute.
        The methods may be called from any thread (the GIL is taken for the call only); an
        exception they raise is a provider failure (:class:`loyalty.UnavailableError` for the
        caller), and output that breaks the schema is :class:`loyalty.InvalidError`. ``None``
        unregisters it.
        """
        self._h.set_ai_provider(provider)

    def session(self, api_key: str) -> "Session":
        """Opens a session for the tenant owning ``api_key``.

        Raises :class:`loyalty.ForbiddenError` for an unknown or revoked key or a deactivated tenant.
        """
        return Session(self._h.session(api_key))

    def __repr__(self) -> str:
        return f"<loyalty.Engine{' closed' if self.closed else ''}>"


class _OpHandle(_Handle):
    """Shared behaviour of the handles that run operations (admins and sessions)."""

    __slots__ = ()
    #: The operation names of this handle kind in this engine build.
    _OPS: FrozenSet[str] = frozenset()

    @classmethod
    def _known_op(cls, name: str) -> bool:
        return name in cls._OPS

    @classmethod
    def operations(cls) -> FrozenSet[str]:
        """Names of every operation of this handle kind in this engine build."""
        return cls._OPS

    def call_json(self, op: str, input: Union[str, bytes]) -> bytes:
        """Runs an operation on JSON text and returns the result as JSON text (UTF-8 bytes).

        ``input`` is a str or UTF-8 bytes, parsed as the C ABI parses it: malformed text
        (invalid UTF-8 or a lone surrogate included) raises :class:`loyalty.InvalidError`
        "malformed JSON at byte N" with ``detail["byte"]``.
        """
        return self._h.call_json(op, input)  # type: ignore[no-any-return]

    def __getattr__(self, attr: str) -> Namespace:
        return _dynamic_namespace(self, attr, self._OPS)

    def __repr__(self) -> str:
        return f"<loyalty.{type(self).__name__}{' closed' if self.closed else ''}>"


class Admin(_OpHandle, AdminNamespaces):
    """The engine administrator: tenants and their keys, the engine's audit log.

    Thread-safe. ``close()`` releases only this handle (not the engine).
    """

    __slots__ = ("_h", "__dict__", "__weakref__")
    _OPS = _ADMIN_OPS

    # tenant, apikey, audit: the namespaces of AdminNamespaces (_ops.py, generated from the catalogue)

    def __init__(self, handle: Any) -> None:
        """Internal: use :meth:`Engine.admin`."""
        self._h = handle

    def call(self, op: str, input: Optional[Mapping[str, Any]] = None, /, **fields: Any) -> Result:
        """Runs an admin operation (``"tenant.create"``, ...) and returns its result as a dict.

        The input is a dict and/or keyword fields (keywords win). Datetimes in the input must
        be timezone-aware. Raises a :class:`loyalty.Error` subclass on failure.
        """
        return self._h.call(op, input, **fields)  # type: ignore[no-any-return]



class Session(_OpHandle, SessionNamespaces):
    """A tenant's session, bound by an API key; every tenant operation runs through one.

    Use a session from one thread at a time (a second thread calling it concurrently gets
    :class:`loyalty.MisuseError`); sessions are cheap, so open one per thread or request.
    ``close()`` releases only this session.
    """

    __slots__ = ("_h", "__dict__", "__weakref__")
    _OPS = _SESSION_OPS

    # session, ledger, reward, ...: the namespaces of SessionNamespaces (_ops.py, generated from the catalogue)

    def __init__(self, handle: Any) -> None:
        """Internal: use :meth:`Engine.session`."""
        self._h = handle

    @property
    def tenant_id(self) -> str:
        """The id of the session's tenant."""
        return self._h.tenant_id  # type: ignore[no-any-return]

    def call(self, op: str, input: Optional[Mapping[str, Any]] = None, /, **fields: Any) -> Result:
        """Runs a tenant operation (``"ledger.earn"``, ...) and returns its result as a dict.

        The input is a dict and/or keyword fields (keywords win). Datetimes in the input must
        be timezone-aware. Raises a :class:`loyalty.Error` subclass on failure.
        """
        return self._h.call(op, input, **fields)  # type: ignore[no-any-return]



def _dynamic_namespace(handle: Any, prefix: str, ops: FrozenSet[str]) -> Namespace:
    # A module whose operations exist in the engine but have no namespace line yet.
    if prefix.startswith("_") or not any(o.startswith(prefix + ".") for o in ops):
        raise AttributeError(f"{type(handle).__name__} has no attribute or operation namespace '{prefix}'")
    cls = type(f"{prefix.capitalize()}Ops", (Namespace,), {"PREFIX": prefix, "__doc__": f"``{prefix}.*`` operations."})
    ns = cls(handle._h.call, handle._known_op)
    handle.__dict__[prefix] = ns
    return ns


def dumps(result: Any, **kwargs: Any) -> str:
    """``json.dumps`` that writes datetimes as the engine does (``2026-03-01T12:00:00.000Z``)."""

    def default(o: Any) -> Any:
        if isinstance(o, _dt.datetime):
            return format_time(o)
        if isinstance(o, _dt.date):
            return o.isoformat()
        raise TypeError(f"{type(o).__name__} is not JSON serializable")

    return _json.dumps(result, default=default, **kwargs)


def format_time(t: TimeLike) -> str:
    """An aware datetime (or UTC milliseconds) as the engine's text: ``2026-03-01T12:00:00.000Z``."""
    return _native.format_time(_to_ms(t, "t"))


def parse_time(text: str) -> _dt.datetime:
    """RFC 3339 text (or ``YYYY-MM-DD``) as an aware UTC datetime; ValueError when malformed."""
    ms = _native.parse_time(text)
    if ms is None:
        raise ValueError(f"malformed time {text!r} (RFC 3339, e.g. 2026-03-01T12:00:00Z)")
    return _native.ms_to_datetime(ms)
