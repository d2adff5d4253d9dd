"""Declared capabilities of a database or a driver, each absence with a mandatory reason.

A capability is something PEP 249 lets a database or a driver leave out: an optional
extension (``Cursor.scroll``, ``Connection.rollback``, ...), a database feature
(transactions, stored procedures, several result sets) or a column type. Capabilities are
the only source of "n/a" in a report:

- ``@pytest.mark.dbapi_requires("name")``: the test is n/a, with the declared reason, when
  the target declares the capability absent.
- ``@pytest.mark.dbapi_without("name")``: the test is about targets that lack the
  capability (commit() as a no-op without transactions); n/a where it is not declared absent.
- ``dbapi_optional(obj, attr, "name")``: the attribute, or n/a when ``name`` is declared
  absent; a missing attribute whose capability is *not* declared absent fails the test.
- ``dbapi_family(family)``: the column type of a SqlProfile type family, or n/a when the
  family's capability (TYPE_FAMILY_CAPABILITIES) is declared absent; a family missing from
  the SqlProfile without that declaration fails the test.

Which capabilities may make which clause n/a is fixed per clause (harness/data/clauses.json
``na_capabilities``; reports/README.md): a MUST clause allows only what PEP 249 itself makes
conditional. Capabilities never excuse a missing PEP 249 name: a driver without ``Binary``
fails TYP-CTOR-3 whatever it declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: Every capability name the harness and the suite know -> what it stands for (and the
#: clauses it gates). A declaration or a query with another name raises ValueError, so that
#: a typo cannot silently disable a test.
CAPABILITY_DOCS: Mapping[str, str] = MappingProxyType({
    # database features
    "transactions": "BEGIN/COMMIT/ROLLBACK semantics (CON-COMMIT-2, CON-CLOSE-4, "
    "CON-ROLLBACK-2, EXT-AUTOC-2; CON-COMMIT-4 and CON-ROLLBACK-3 apply only without)",
    "multiple_result_sets": "a statement producing two result sets, "
    "SqlProfile.two_result_sets (CUR-NEXTSET-2)",
    "callproc_inout": "procedures with OUT/INOUT parameters, SqlProfile.procedures['inout'] "
    "(CUR-CALLPROC-2)",
    "warning_messages": "the database sends messages (warnings, notices) with a result, "
    "SqlProfile.warning (EXT-MSG-1)",
    "nul_in_text": "text values may hold U+0000 (CUR-EXEC-4)",
    "server": "a database server the driver reaches over the network, which can be "
    "unreachable (EXC-OPER-1, EXC-ALL-1); declared absent for every embedded-database "
    "target (DriverProfile.server 'none')",
    # column types (SqlProfile type families, TYPE_FAMILY_CAPABILITIES)
    "binary": "a binary column type (CUR-DESC-5, TYP-CTOR-3, TYP-OBJ-3, TYP-HINT-1)",
    "date_type": "a DATE column type (CUR-DESC-5, TYP-CTOR-1, TYP-OBJ-3, TYP-HINT-1)",
    "time_type": "a TIME column type (CUR-DESC-5, TYP-CTOR-1, TYP-OBJ-3, TYP-HINT-1)",
    "decimal_type": "an exact numeric column type (CUR-DESC-5, CUR-EXEC-4, TYP-OPEN-1)",
    "bool_type": "a boolean column type (CUR-EXEC-4)",
    # optional methods and extensions (PEP 249 "Optional DB API Extensions", TPC)
    "rollback": "Connection.rollback() (CON-ROLLBACK-1, CON-ROLLBACK-2, CON-CLOSE-2)",
    "callproc": "Cursor.callproc() and stored procedures (CUR-CALLPROC-*, CUR-CLOSE-2)",
    "nextset": "Cursor.nextset() (CUR-NEXTSET-*, CUR-CLOSE-2)",
    "tpc": "two-phase commit, Connection.xid() and tpc_*() (TPC-*)",
    "rownumber": "Cursor.rownumber (EXT-ROWNUM-1)",
    "connection_exceptions": "the exception classes as Connection attributes (EXT-CONNEXC-1)",
    "cursor_connection": "Cursor.connection (EXT-CURCONN-1)",
    "scroll": "Cursor.scroll() (EXT-SCROLL-*)",
    "messages": "Cursor.messages and Connection.messages (EXT-MSG-*)",
    "next": "Cursor.next() (EXT-NEXT-1)",
    "iter": "Cursor.__iter__() (EXT-ITER-1)",
    "lastrowid": "row ids reported through Cursor.lastrowid (EXT-LASTROW-1); declared "
    "absent, a present lastrowid must stay None",
    "autocommit_attribute": "Connection.autocommit (EXT-AUTOC-1, EXT-AUTOC-2)",
    "errorhandler": "Connection.errorhandler and Cursor.errorhandler (EXT-ERRH-*)",
})

KNOWN_CAPABILITIES = frozenset(CAPABILITY_DOCS)

#: SqlProfile type family -> the capability that lets a target leave it out. Families not
#: listed (int, bigint, float, text, timestamp) have none: a SqlProfile without them fails
#: the tests that need them.
TYPE_FAMILY_CAPABILITIES: Mapping[str, str] = MappingProxyType({
    "binary": "binary",
    "date": "date_type",
    "time": "time_type",
    "decimal": "decimal_type",
    "bool": "bool_type",
})


def _check_name(name: str) -> None:
    if name not in KNOWN_CAPABILITIES:
        known = ", ".join(sorted(KNOWN_CAPABILITIES))
        raise ValueError(f"unknown capability {name!r}; known capabilities: {known}")


@dataclass(frozen=True)
class Capabilities:
    """The capabilities a database or driver lacks, each with the reason why.

    ``absent``: mapping capability name -> reason text (non-empty). Every known capability
    not listed is present. Raises ValueError for an unknown name or an empty reason.

    >>> caps = Capabilities({"callproc": "no stored procedures"})
    >>> caps.has("callproc"), caps.reason("callproc")
    (False, 'no stored procedures')
    """

    absent: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, reason in self.absent.items():
            _check_name(name)
            if not isinstance(reason, str) or not reason.strip():
                raise ValueError(f"capability {name!r} is declared absent without a reason")
        object.__setattr__(self, "absent", MappingProxyType(dict(self.absent)))

    def has(self, name: str) -> bool:
        """True unless ``name`` is declared absent. ValueError for an unknown name."""
        _check_name(name)
        return name not in self.absent

    def reason(self, name: str) -> str:
        """The declared reason why ``name`` is absent, or "" when it is present."""
        _check_name(name)
        return self.absent.get(name, "")

    def merged(self, other: Capabilities) -> Capabilities:
        """Both declarations together: absent if either says so (``other``'s reason wins)."""
        return Capabilities({**self.absent, **other.absent})

    def as_dict(self) -> dict[str, str]:
        """Plain dict name -> reason of the absent capabilities (for the report)."""
        return dict(sorted(self.absent.items()))
