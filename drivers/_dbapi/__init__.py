"""PEP 249 pieces shared by the reference drivers: exceptions, type objects and
constructors, Connection and Cursor bases, and the paramstyle converter."""

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
