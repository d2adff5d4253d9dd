"""CrateDB's SQL as sqlglot reads it: the postgres dialect less what CrateDB does not have.

Dollar-quoted strings (``$tag$ ... $tag$``) are rewritten as quoted strings before
sqlglot sees them (statements.py), so here ``$`` always starts a ``$n`` parameter, also
with no space after it (``SELECT $1,$2``); CrateDB has no ``?::`` operator, so ``?::int``
is a placeholder cast to int (cratedb.md 5.4).
"""

from __future__ import annotations

from sqlglot.dialects.postgres import Postgres
from sqlglot.tokens import TokenType

__all__ = ["CrateDB"]


class CrateDB(Postgres):
    """The postgres dialect with CrateDB's tokens (used as ``read=CrateDB``)."""

    class Tokenizer(Postgres.Tokenizer):
        HEREDOC_STRINGS: list = []
        SINGLE_TOKENS = {**Postgres.Tokenizer.SINGLE_TOKENS, "$": TokenType.PARAMETER}
        KEYWORDS = {k: v for k, v in Postgres.Tokenizer.KEYWORDS.items() if k != "?::"}
