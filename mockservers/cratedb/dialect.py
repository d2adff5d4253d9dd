"""CrateDB's SQL as sqlglot reads it: the postgres dialect less what CrateDB does not have,
plus CrateDB's MATCH predicate.

Dollar-quoted strings (``$tag$ ... $tag$``) are rewritten as quoted strings before
sqlglot sees them (statements.py), so here ``$`` always starts a ``$n`` parameter, also
with no space after it (``SELECT $1,$2``); CrateDB has no ``?::`` operator, so ``?::int``
is a placeholder cast to int (cratedb.md 5.4).

``MATCH (ident [boost] | (ident [boost], ...), term) [USING type [WITH (k = v, ...)]]``
(crate/crate ``SqlBaseParser.g4``, rule ``predicate``/``matchPredicateIdentList``) reads
as a :class:`MatchPredicate` node; sqlglot's own MATCH is MySQL's MATCH ... AGAINST.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.tokens import TokenType

__all__ = ["CrateDB", "MatchPredicate"]


class MatchPredicate(exp.Expression, exp.Func):
    """``MATCH(...)``: ``expressions`` the columns or index names, ``boosts`` one literal
    (or NULL) per column, ``this`` the query term, ``match_type`` a name or None,
    ``options`` a list of (name, value) EQ nodes."""

    arg_types = {"this": True, "expressions": True, "boosts": False, "match_type": False,
                 "options": False}
    _sql_names = ["MATCH"]


def _parse_match(self) -> MatchPredicate:
    columns, boosts = [], []

    def ident():
        columns.append(self._parse_column())
        if self._curr and self._curr.token_type in (TokenType.NUMBER, TokenType.PARAMETER):
            boosts.append(self._parse_primary())
        else:
            boosts.append(exp.Null())

    if self._match(TokenType.L_PAREN):
        ident()
        while self._match(TokenType.COMMA):
            ident()
        self._match_r_paren()
    else:
        ident()
    if not self._match(TokenType.COMMA):
        self.raise_error("Expecting ,")
    term = self._parse_bitwise()
    return self.expression(MatchPredicate(this=term, expressions=columns, boosts=boosts))


class CrateDB(Postgres):
    """The postgres dialect with CrateDB's tokens (used as ``read=CrateDB``)."""

    # keep a function's name as written (substr, not substring) for CrateDB's output names
    ORIGINAL_NAME_META_KEY = "crate_name"

    class Tokenizer(Postgres.Tokenizer):
        HEREDOC_STRINGS: list = []
        SINGLE_TOKENS = {**Postgres.Tokenizer.SINGLE_TOKENS, "$": TokenType.PARAMETER}
        KEYWORDS = {k: v for k, v in Postgres.Tokenizer.KEYWORDS.items() if k != "?::"}

    class Parser(Postgres.Parser):
        FUNCTION_PARSERS = {**Postgres.Parser.FUNCTION_PARSERS, "MATCH": _parse_match}

        def _parse_function_call(self, *args, **kwargs):
            result = super()._parse_function_call(*args, **kwargs)
            if isinstance(result, MatchPredicate) and self._match(TokenType.USING):
                result.set("match_type", self._parse_var(any_token=True))
                if self._match(TokenType.WITH):
                    self._match_l_paren()
                    result.set("options", self._parse_csv(self._parse_assignment))
                    self._match_r_paren()
            return result
