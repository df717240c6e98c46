"""libloyalty for Python: an embeddable loyalty engine (points ledger, tenants, programs).

Open an :class:`Engine` on a database, create tenants through :meth:`Engine.admin`, and run
tenant operations through a :class:`Session` opened with an API key::

    import loyalty

    with loyalty.Engine.open(uri=":memory:", admin_key="an-admin-credential-of-16+-bytes") as engine:
        tenant = engine.admin().tenant.create(name="Shop")
        with engine.session(tenant["api_key"]["key"]) as s:
            s.program.create(name="Main", currency="EUR")
            alice = s.customer.enroll(external_id="alice")
            s.ledger.earn(customer_id=alice["id"], points=100, idempotency_key="order-1")

Inputs are dicts and/or keyword arguments, results are plain dicts; time fields are aware
datetimes. Failures raise a subclass of :class:`Error`, one per engine status. The GIL is
released around every engine call. See docs/python.md.
"""

from . import _native
from ._api import Admin, ClockFn, Engine, LogFn, ManualClock, Session, TimeLike, dumps, format_time, parse_time
from ._errors import (
    ERRORS_BY_CODE,
    ERRORS_BY_STATUS,
    BusyError,
    ConflictError,
    Error,
    ForbiddenError,
    InsufficientPointsError,
    InternalError,
    InvalidError,
    LimitError,
    MisuseError,
    NoMemoryError,
    NotFoundError,
    OutOfStockError,
    StorageError,
    UnavailableError,
)

#: The package version, from the repository's VERSION file (the library's version).
__version__: str = _native.__version__

__all__ = [
    "Admin",
    "BusyError",
    "ClockFn",
    "ConflictError",
    "ERRORS_BY_CODE",
    "ERRORS_BY_STATUS",
    "Engine",
    "Error",
    "ForbiddenError",
    "InsufficientPointsError",
    "InternalError",
    "InvalidError",
    "LimitError",
    "LogFn",
    "ManualClock",
    "MisuseError",
    "NoMemoryError",
    "NotFoundError",
    "OutOfStockError",
    "Session",
    "StorageError",
    "TimeLike",
    "UnavailableError",
    "__version__",
    "dumps",
    "format_time",
    "parse_time",
]
