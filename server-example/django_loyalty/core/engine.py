"""The engine of this process, and the sessions opened on it.

One :class:`loyalty.Engine` per process, opened on first use (so after gunicorn forks its
workers; every worker opens the same engine file). A session is used by one thread at a time,
so sessions are cached per thread, keyed by API key.
"""

import threading

import loyalty

from .. import conf

_lock = threading.Lock()
_engine = None
_admin = None
_local = threading.local()


def engine() -> loyalty.Engine:
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = loyalty.Engine.open(
                    conf.get("ENGINE_URI"),
                    admin_key=conf.get("ADMIN_KEY"),
                    datetimes=False,
                    **conf.get("ENGINE_OPTIONS"),
                )
    return _engine


def admin() -> loyalty.Admin:
    """The engine administrator's handle (usable from any thread)."""
    global _admin
    if _admin is None:
        eng = engine()
        with _lock:
            if _admin is None:
                _admin = eng.admin()
    return _admin


def session(api_key: str) -> loyalty.Session:
    """A session for ``api_key``, cached for this thread."""
    cache = getattr(_local, "sessions", None)
    if cache is None:
        cache = _local.sessions = {}
    s = cache.get(api_key)
    if s is None:
        s = cache[api_key] = engine().session(api_key)
    return s


def forget(api_key: str) -> None:
    """Drops a cached session (its key was revoked)."""
    cache = getattr(_local, "sessions", None)
    if cache:
        s = cache.pop(api_key, None)
        if s is not None:
            s.close()


def reset() -> None:
    """Closes the engine (tests)."""
    global _engine, _admin
    with _lock:
        if _engine is not None:
            _engine.close()
        _engine = None
        _admin = None
    _local.sessions = {}


def all_items(call, op: str, inp: dict, key: str = "items", limit: int = 1000, cap: int = 100000):
    """Every item of a cursor-paged engine list (``items`` + ``next_cursor``)."""
    out = []
    inp = dict(inp, limit=limit)
    while True:
        res = call(op, inp)
        out.extend(res[key])
        cur = res.get("next_cursor")
        if not cur or len(out) >= cap:
            return out
        inp["cursor"] = cur
