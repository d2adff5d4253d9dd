"""PEP 249 pieces shared by the reference drivers: exceptions, type objects and
constructors, Connection and Cursor bases, and the paramstyle converter.

``from dbapi_conformance.drivers._dbapi import *`` gives a driver module the part of PEP 249's
module interface that is the same in every driver (``__all__``: the exception classes and the
type constructors); the driver adds its globals, ``connect``, its type objects and
``__version__`` (:func:`package_version`).
"""

from importlib import metadata as _metadata

from dbapi_conformance.drivers._dbapi.exceptions import (  # noqa: F401
    EXCEPTIONS,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)
from dbapi_conformance.drivers._dbapi.types import (  # noqa: F401
    Binary,
    Date,
    DateFromTicks,
    DBAPITypeObject,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)

__all__ = [
    "Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
    "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError",
    "Date", "Time", "Timestamp", "DateFromTicks", "TimeFromTicks", "TimestampFromTicks",
    "Binary",
]

def package_version() -> str:
    """This distribution's version (the drivers' ``__version__``), "0.0.0" in a source tree
    that is not installed."""
    try:
        return _metadata.version("dbapi-conformance")
    except _metadata.PackageNotFoundError:
        return "0.0.0"
