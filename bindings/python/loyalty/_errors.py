"""Exceptions: one class per engine status, all under :class:`loyalty.Error`.

The values of :attr:`Error.code` are the pinned ``loy_status`` numbers of the C ABI
(``capi/include/loyalty.h``); :attr:`Error.status` is the identifier used in JSON error objects
(``"invalid"``, ``"not_found"``, ...). See ``docs/errors.md`` for when each is raised.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type

from . import _native


class Error(Exception):
    """Base class of every error the engine reports.

    Attributes:
        code: the pinned negative status number (``-2`` for invalid input, ...).
        status: the status identifier (``"invalid"``, ``"not_found"``, ...).
        field: the offending input field as a path (``"points"``, ``"events[2].points"``) or None.
        detail: machine-readable detail, always a dict (it contains ``"field"`` when there is one).
        message: the human-readable message (for people; do not parse it).
    """

    #: The status number this class stands for (set on each subclass).
    CODE: int = -1
    #: The status identifier this class stands for (set on each subclass).
    STATUS: str = "error"

    def __init__(
        self,
        message: str = "",
        code: Optional[int] = None,
        status: Optional[str] = None,
        field: Optional[str] = None,
        detail: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(message, code, status, field, detail)
        self.message: str = message
        self.code: int = self.CODE if code is None else code
        self.status: str = self.STATUS if status is None else status
        self.field: Optional[str] = field
        self.detail: Dict[str, Any] = {} if detail is None else detail

    def __str__(self) -> str:
        return f"{self.message} [{self.status}" + (f", field {self.field}]" if self.field else "]")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r}, field={self.field!r})"


class InternalError(Error):
    """Something unexpected (``LOY_ERROR``, -1): a bug or a broken environment."""

    CODE, STATUS = -1, "error"


class InvalidError(Error, ValueError):
    """Bad input (``LOY_EINVALID``, -2): unknown field, wrong type, out of range, naive datetime.

    Also a :class:`ValueError`, so ``except ValueError`` catches it.
    """

    CODE, STATUS = -2, "invalid"


class NotFoundError(Error):
    """No such object in this tenant (``LOY_ENOTFOUND``, -3)."""

    CODE, STATUS = -3, "not_found"


class ConflictError(Error):
    """An idempotency key reused with another payload, or a uniqueness clash (``LOY_ECONFLICT``, -4)."""

    CODE, STATUS = -4, "conflict"


class InsufficientPointsError(Error):
    """Not enough available points (``LOY_EINSUFFICIENT``, -5); ``detail["available"]``."""

    CODE, STATUS = -5, "insufficient"


class OutOfStockError(Error):
    """Reward stock exhausted (``LOY_EOUTOFSTOCK``, -6)."""

    CODE, STATUS = -6, "out_of_stock"


class LimitError(Error):
    """A configured limit would be exceeded (``LOY_ELIMIT``, -7)."""

    CODE, STATUS = -7, "limit"


class ForbiddenError(Error):
    """A credential lacks the scope, or policy forbids the operation (``LOY_EFORBIDDEN``, -8)."""

    CODE, STATUS = -8, "forbidden"


class UnavailableError(Error):
    """A dependency (program, provider) is unavailable or deactivated (``LOY_EUNAVAILABLE``, -9)."""

    CODE, STATUS = -9, "unavailable"


class BusyError(Error):
    """The database stayed locked past ``busy_timeout_ms`` (``LOY_EBUSY``, -10); safe to retry."""

    CODE, STATUS = -10, "busy"


class StorageError(Error):
    """The storage layer failed: I/O, corruption, full disk (``LOY_ESTORAGE``, -11)."""

    CODE, STATUS = -11, "storage"


class MisuseError(Error):
    """API misuse: a closed engine or session, a session used by two threads (``LOY_EMISUSE``, -12)."""

    CODE, STATUS = -12, "misuse"


class NoMemoryError(Error):
    """Out of memory (``LOY_ENOMEM``, -13)."""

    CODE, STATUS = -13, "nomem"


#: Exception class by status number.
ERRORS_BY_CODE: Dict[int, Type[Error]] = {
    cls.CODE: cls
    for cls in (
        InternalError,
        InvalidError,
        NotFoundError,
        ConflictError,
        InsufficientPointsError,
        OutOfStockError,
        LimitError,
        ForbiddenError,
        UnavailableError,
        BusyError,
        StorageError,
        MisuseError,
        NoMemoryError,
    )
}

#: Exception class by status identifier (``"not_found"`` -> :class:`NotFoundError`).
ERRORS_BY_STATUS: Dict[str, Type[Error]] = {cls.STATUS: cls for cls in ERRORS_BY_CODE.values()}

# Index -code; index 0 (ok) is never raised.
_native._set_error_classes([InternalError] + [ERRORS_BY_CODE[-i] for i in range(1, 14)])
