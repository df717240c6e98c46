"""Type stubs of loyalty._native, the pybind11 module (internal: use the `loyalty` package)."""

from typing import Any, Callable, Dict, List, Optional, Union

__version__: str

def _set_error_classes(classes: List[type]) -> None:
    """Registers the exception class for each status (index = -status)."""

def status_name(code: int) -> str:
    """The identifier of a status code ('invalid', 'not_found', ...)."""

def status_str(code: int) -> str:
    """The short text of a status code."""

def session_operations() -> List[str]:
    """Names of every session operation, sorted."""

def admin_operations() -> List[str]:
    """Names of every admin operation, sorted."""

def parse_time(text: str) -> Optional[int]:
    """RFC 3339 text (or YYYY-MM-DD) to UTC milliseconds; None when malformed."""

def format_time(ms: int) -> str:
    """UTC milliseconds (years 0001..9999) to the engine's RFC 3339 text; InvalidError outside."""

def ms_to_datetime(ms: int) -> Any:
    """UTC milliseconds (years 0001..9999) to an aware datetime; InvalidError outside."""

def datetime_to_ms(dt: Any) -> int:
    """An aware datetime to UTC milliseconds (floored); InvalidError when naive."""

def _raise_status(code: int, message: str, field: str) -> None:
    """Raises the exception of a status through the C++ translation path (tests only)."""

def _convert(input: Optional[Dict[str, Any]], times: bool) -> Dict[str, Any]:
    """A dict through the input and result conversions, without the engine (tests, benchmarks)."""

def _repeat_call(session: Session, op: str, input: Optional[Dict[str, Any]], n: int) -> int:
    """Runs the same call n times in C++; returns the total nanoseconds (benchmarks only)."""

class ManualClock:
    """A clock that moves only when told to (thread-safe)."""

    def __init__(self, start_ms: int) -> None: ...
    def now_ms(self) -> int: ...
    def set_ms(self, t: int) -> None: ...
    def advance_ms(self, d: int) -> None: ...

class Engine:
    """The native engine handle."""

    @staticmethod
    def open(
        uri: str,
        admin_key: str,
        clock: Union[ManualClock, Callable[[], Any], None],
        synchronous: str,
        busy_timeout_ms: int,
        pool_size: int,
        cache_mb: int,
        wal_autocheckpoint: int,
        log: Optional[Callable[[str, str], None]],
        datetimes: bool,
        master_key: Optional[str] = None,
    ) -> Engine: ...
    def admin(self, admin_key: Optional[str]) -> Admin: ...
    def session(self, api_key: str) -> Session: ...
    def set_ai_provider(self, provider: Optional[Any]) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...

class Admin:
    """The native admin handle."""

    def call(self, op: str, input: Optional[Any] = None, /, **fields: Any) -> Dict[str, Any]: ...
    def call_json(self, op: str, text: Union[str, bytes]) -> bytes: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...

class Session:
    """The native session handle."""

    def call(self, op: str, input: Optional[Any] = None, /, **fields: Any) -> Dict[str, Any]: ...
    def call_json(self, op: str, text: Union[str, bytes]) -> bytes: ...
    @property
    def tenant_id(self) -> str: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
