"""Declared capabilities of a database or a driver, each absence with a mandatory reason.

A capability is something a conformance test may need that PEP 249 lets a database or a
driver leave out (transactions, stored procedures, a binary column type, ...). Tests ask for
one with ``@pytest.mark.dbapi_requires("name")``; when the target declares it absent, the
test is skipped and reported "n/a" with the declared reason (design: "capabilities are
declared, never hidden"). Capabilities never excuse a missing PEP 249 name: a driver
without ``Binary`` fails TYP-CTOR-3 whatever it declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: Every capability name the harness and the suite know. A declaration or a query with
#: another name raises ValueError, so that a typo cannot silently enable a test.
KNOWN_CAPABILITIES = frozenset(
    {
        "transactions",  # BEGIN/COMMIT/ROLLBACK semantics; CON-COMMIT-2, CON-CLOSE-4
        "rollback",  # Connection.rollback(); CON-ROLLBACK-*
        "callproc",  # stored procedures; CUR-CALLPROC-*
        "nextset",  # Cursor.nextset() with a real second set; CUR-NEXTSET-*
        "tpc",  # two-phase commit; TPC-*
        "binary",  # a binary column type; TYP-CTOR-3 round-trips
        "time_type",  # a TIME column type; TYP-CTOR-1 Time round-trips
        "date_type",  # a DATE column type
        "decimal_type",  # an exact numeric column type; TYP-OPEN-1
        "lastrowid",  # row ids; EXT-LASTROW-1
        "autocommit_attribute",  # Connection.autocommit; EXT-AUTOC-*
        "multiple_result_sets",  # statements or procedures returning several sets
        "scroll",  # Cursor.scroll(); EXT-SCROLL-*
        "threadsafety_stress",  # threads hammering one module/connection; GLB-THREAD-2
        "nul_in_text",  # text values may hold U+0000; CUR-EXEC-4
    }
)


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
