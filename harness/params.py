"""The ``dbapi_params`` helper: SQL placeholders and parameters in the module's paramstyle.

PEP 249 ``paramstyle`` values (GLB-PARAM-1): qmark ``?``, numeric ``:1``, named ``:name``,
format ``%s``, pyformat ``%(name)s``. Templates use ``{}`` for each parameter slot; slots
are numbered 1..n from the left and, for named styles, called p1..pn.
"""

from __future__ import annotations

from typing import Any

PARAMSTYLES = ("qmark", "numeric", "named", "format", "pyformat")

_SLOT = "{}"


class Params:
    """Placeholders and parameter objects for one paramstyle.

    >>> p = Params("named")
    >>> p.sql("INSERT INTO t VALUES ({}, {})")
    'INSERT INTO t VALUES (:p1, :p2)'
    >>> p.args(1, "x")
    {'p1': 1, 'p2': 'x'}

    Only ``{}`` is replaced; all other text, braces and ``%`` included, is left as it is
    (with format/pyformat a literal ``%`` in the SQL must be written ``%%`` by the caller).
    ValueError for a paramstyle outside PARAMSTYLES.
    """

    def __init__(self, paramstyle: str) -> None:
        if paramstyle not in PARAMSTYLES:
            raise ValueError(
                f"paramstyle {paramstyle!r} is not one of {', '.join(PARAMSTYLES)} (GLB-PARAM-1)"
            )
        self.paramstyle = paramstyle

    @property
    def named(self) -> bool:
        """True when parameters are a mapping (named, pyformat)."""
        return self.paramstyle in ("named", "pyformat")

    def placeholder(self, n: int) -> str:
        """The placeholder of the n-th parameter (1-based)."""
        return {
            "qmark": "?",
            "numeric": f":{n}",
            "named": f":p{n}",
            "format": "%s",
            "pyformat": f"%(p{n})s",
        }[self.paramstyle]

    def sql(self, template: str) -> str:
        """``template`` with its ``{}`` slots replaced by placeholders 1..n."""
        pieces = template.split(_SLOT)
        out = [pieces[0]]
        for n, piece in enumerate(pieces[1:], start=1):
            out += [self.placeholder(n), piece]
        return "".join(out)

    def args(self, *values: Any) -> tuple[Any, ...] | dict[str, Any]:
        """The parameters object for ``values``: a tuple, or {"p1": v1, ...} for named styles."""
        if self.named:
            return {f"p{n}": v for n, v in enumerate(values, start=1)}
        return tuple(values)

    def __repr__(self) -> str:
        return f"Params({self.paramstyle!r})"
