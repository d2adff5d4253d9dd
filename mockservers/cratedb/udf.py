"""User-defined functions: ``CREATE [OR REPLACE] FUNCTION ... LANGUAGE JAVASCRIPT AS '...'``,
``DROP FUNCTION [IF EXISTS]``, their calls, and ``information_schema.routines``.

CrateDB (crate/crate ``PolyglotLanguage``, ``PolyglotScalar``, ``PolyglotValues``,
``UserDefinedFunctionService``, ``TransportCreateUserDefinedFunction``; ``docs/general/
user-defined-functions.rst``) runs JavaScript UDFs with GraalJS when ``lang.js.enabled``
(the default). The mock runs them with V8 through ``mini-racer`` (the ``js`` extra, with
``numpy``, which DuckDB's Python functions need); without those packages it answers as a
node without ``lang.js``: ``'javascript' is not a valid UDF language``.

- The definition must define a function named like the UDF, else CREATE fails with
  ``Invalid javascript in function 'doc.f(integer)' AS '...': The name of the function
  signature 'f' doesn't match the function name in the function definition.`` (a syntax
  error gives the engine's message there instead; V8 words it differently from GraalJS).
- Argument values reach JavaScript as CrateDB passes them: numbers, strings, booleans,
  arrays, objects, NULL as null, timestamps as epoch milliseconds; the result is cast to
  the return type as CrateDB's ``implicitCast`` does (integers truncate).
- Each function keeps one V8 context per thread that calls it, so connections call it side
  by side; a call runs at most :data:`CALL_TIMEOUT` seconds, no longer than its
  statement has left (:func:`statement_limits`), and 256 MB of heap, else it fails with a
  ScriptException; no call starts once its statement was interrupted. DuckDB runs calls
  at execution only, once per row (registered as having side effects: never folded
  while planning).
- Names: ``UserDefinedFunctionAlreadyExistsException`` (4098) without OR REPLACE,
  ``UserDefinedFunctionUnknownException`` (4049) for DROP of an unknown signature.
- Functions persist with the database (``_crate_meta.functions``).
- ``information_schema.routines`` lists the UDFs (CrateDB also lists its built-in
  analyzers, tokenizers and filters there; the mock does not).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import inspect
import itertools
import threading
import time
import weakref
from dataclasses import dataclass, field

import orjson
from sqlglot import exp

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb.catalog import META_SCHEMA
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, parse_type_name
from dbapi_conformance.mockservers.cratedb.ddl import DdlParser
from dbapi_conformance.mockservers.cratedb.statements import Statement

try:  # the optional js extra
    import numpy  # noqa: F401  (DuckDB's Python functions need it)
    from py_mini_racer import MiniRacer
    from py_mini_racer import _exc as js_errors
except ImportError:  # pragma: no cover - exercised through ENGINE_AVAILABLE
    MiniRacer = None
    js_errors = None

__all__ = ["ENGINE_AVAILABLE", "Limits", "Udf", "Udfs", "statement_limits", "create_function",
           "drop_function", "rewrite_calls", "META_DDL", "ROUTINES_SQL", "CALL_TIMEOUT"]

#: whether JavaScript UDFs can run (mini-racer and numpy are installed)
ENGINE_AVAILABLE = MiniRacer is not None
CALL_TIMEOUT = 10.0
_HEAP_LIMIT = 256 * 1024 * 1024

META_DDL = (f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.functions (schema_name VARCHAR, "
            "name VARCHAR, arg_names VARCHAR[], arg_types VARCHAR[], return_type VARCHAR, "
            "language VARCHAR, definition VARCHAR)")

ROUTINES_SQL = f"""
SELECT data_type, true AS is_deterministic, language AS routine_body,
       definition AS routine_definition, name AS routine_name, schema_name AS routine_schema,
       'FUNCTION' AS routine_type, specific_name
FROM {META_SCHEMA}.functions_view
"""

_SUPPORTED = {DataType.CHAR, DataType.SMALLINT, DataType.INTEGER, DataType.BIGINT,
              DataType.REAL, DataType.DOUBLE, DataType.NUMERIC, DataType.TEXT,
              DataType.CHARACTER, DataType.BOOLEAN, DataType.OBJECT, DataType.UNCHECKED_OBJECT,
              DataType.TIMESTAMP_WITH_TZ, DataType.TIMESTAMP_WITHOUT_TZ, DataType.DATE,
              DataType.IP, DataType.GEO_POINT}
_INTEGERS = {DataType.CHAR, DataType.SMALLINT, DataType.INTEGER, DataType.BIGINT}
_FLOATS = {DataType.REAL, DataType.DOUBLE, DataType.NUMERIC}
_TIMES = {DataType.TIMESTAMP_WITH_TZ, DataType.TIMESTAMP_WITHOUT_TZ, DataType.DATE}
_OBJECTS = {DataType.OBJECT, DataType.UNCHECKED_OBJECT}
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


class Limits:
    """What bounds the JavaScript calls of one running statement: ``deadline`` (a
    ``time.monotonic()`` value, None for none) and ``stopped`` (set from another thread when
    the statement is interrupted: no further call starts)."""

    __slots__ = ("deadline", "stopped")

    def __init__(self, deadline: float | None = None):
        self.deadline = deadline
        self.stopped = False


_running = threading.local()  # .limits: the Limits of the statement this thread runs


@contextlib.contextmanager
def statement_limits(limits: Limits):
    """Bound the calls made by the current thread (which runs one statement; the engine
    runs a statement on its caller's thread) by ``limits``."""
    outer = getattr(_running, "limits", None)
    _running.limits = limits
    try:
        yield limits
    finally:
        _running.limits = outer


class _Context:
    """One V8 context of one function, used by one thread; ``lock`` is held during a call,
    so :meth:`Udf.close` from another thread closes it only between calls (else the
    calling thread closes it when its call ends)."""

    __slots__ = ("ctx", "lock", "retired", "__weakref__")

    def __init__(self, ctx):
        self.ctx = ctx
        self.lock = threading.Lock()
        self.retired = False

    def close(self) -> None:
        ctx, self.ctx = self.ctx, None
        if ctx is not None:
            try:
                _CONTEXTS.discard(ctx)
                ctx.close()
            except Exception:  # noqa: BLE001 - best effort (also at interpreter exit)
                pass

    def retire(self) -> None:
        self.retired = True
        if self.lock.acquire(blocking=False):
            try:
                self.close()
            finally:
                self.lock.release()

    def __del__(self):  # its thread ended (thread-local data is released then)
        self.close()


@dataclass
class Udf:
    """One function: ``specific_name`` is ``name(integer, text)`` as CrateDB prints it."""

    schema: str
    name: str
    arg_names: list[str]
    arg_types: list[CrateType]
    return_type: CrateType
    language: str
    definition: str
    engine_name: str = ""  # the DuckDB function that runs it
    # one V8 context per calling thread: calls from different connections run side by side
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _contexts: weakref.WeakSet = field(default_factory=weakref.WeakSet, repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def specific_name(self) -> str:
        return f"{self.name}({', '.join(t.name for t in self.arg_types)})"

    @property
    def signature(self) -> tuple:
        return (self.schema, self.name, tuple(t.text() for t in self.arg_types))

    # --- running -----------------------------------------------------------------------
    def _new_context(self):
        ctx = MiniRacer()
        _CONTEXTS.add(ctx)
        ctx.set_hard_memory_limit(_HEAP_LIMIT)
        ctx.eval(self.definition, timeout_sec=CALL_TIMEOUT)
        return ctx

    def _ctx(self) -> _Context:
        holder = getattr(self._local, "context", None)
        if holder is None or holder.ctx is None:
            holder = _Context(self._new_context())
            self._local.context = holder
            self._contexts.add(holder)
            if self._closed:  # dropped meanwhile: closed after this call
                holder.retired = True
        return holder

    def _timeout(self) -> float:
        limits = getattr(_running, "limits", None)
        timeout = CALL_TIMEOUT
        if limits is not None:
            if limits.stopped:
                raise RuntimeError(f"{_MARK}Job killed{_MARK}")
            if limits.deadline is not None:
                timeout = min(timeout, limits.deadline - time.monotonic())
                if timeout <= 0:
                    raise RuntimeError(f"{_MARK}JavaScript was terminated by timeout: the "
                                       f"statement ran out of time{_MARK}")
        return timeout

    def __call__(self, *args):
        values = [_to_js(v, t) for v, t in zip(args, self.arg_types)]
        timeout = self._timeout()
        try:
            holder = self._ctx()
        except js_errors.MiniRacerBaseException as exc:
            raise RuntimeError(f"{_MARK}{_message(exc)}{_MARK}") from None
        with holder.lock:
            try:
                if holder.ctx is None:  # closed by a DROP since: this call gets its own
                    holder.ctx = self._new_context()
                result = holder.ctx.call(self.name, *values, timeout_sec=timeout)
            except js_errors.WrongReturnTypeException:
                # mini-racer returns results as JSON text, and JSON.stringify(undefined) is
                # no text; CrateDB (GraalVM's Value.isNull) makes undefined a NULL
                return None
            except js_errors.JSTimeoutException:
                # V8 reports the stopped call later: closing the context now would make that
                # report hit a closed event loop, so it is closed a little later (kept
                # until exit, every endless call would keep its heap and threads); the next
                # call gets a fresh context
                stale, holder.ctx = holder.ctx, None
                _close_later(stale)
                raise RuntimeError(f"{_MARK}JavaScript was terminated by timeout after "
                                   f"{timeout:.3g} s{_MARK}") from None
            except js_errors.MiniRacerBaseException as exc:
                # DuckDB wraps this; errors.from_engine unwraps the marker
                raise RuntimeError(f"{_MARK}{_message(exc)}{_MARK}") from None
            finally:
                if holder.retired:
                    holder.close()
        return _from_js(result, self.return_type)

    def close(self) -> None:
        """Close every context (one now calling closes when its call ends)."""
        self._closed = True
        for holder in list(self._contexts):
            holder.retire()


_MARK = "[crate-js-error]"


def _message(exc) -> str:
    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
    errors = [ln.strip() for ln in lines if "Error" in ln and not ln.lstrip().startswith("at ")]
    return errors[-1] if errors else (lines[-1].strip() if lines else type(exc).__name__)


def script_error_text(message: str) -> str | None:
    """The JavaScript failure inside an engine error message, or None."""
    if _MARK not in message:
        return None
    return message.split(_MARK)[1]


def _to_js(v, t: CrateType):
    if v is None:
        return None
    if t.id in _OBJECTS and isinstance(v, str):
        return orjson.loads(v)
    if t.id in _TIMES:
        if isinstance(v, _dt.datetime):
            if v.tzinfo is None:
                v = v.replace(tzinfo=_dt.timezone.utc)
            return int((v - _EPOCH).total_seconds() * 1000)
        if isinstance(v, _dt.date):
            return int((_dt.datetime(v.year, v.month, v.day, tzinfo=_dt.timezone.utc)
                        - _EPOCH).total_seconds() * 1000)
    if t.id == DataType.ARRAY and isinstance(v, list) and t.inner is not None:
        return [_to_js(x, t.inner) for x in v]
    if hasattr(v, "__float__") and not isinstance(v, (int, float, bool)):
        return float(v)  # Decimal
    return v


def _from_js(v, t: CrateType):
    if v is None:
        return None
    tid = t.id
    if tid == DataType.ARRAY:
        if not isinstance(v, list):
            raise RuntimeError(f"{_MARK}Cannot cast `{v}` to type `{t.name}`{_MARK}")
        return [_from_js(x, t.inner) for x in v] if t.inner is not None else v
    if tid in _INTEGERS or tid in _TIMES:
        if isinstance(v, bool):
            raise RuntimeError(f"{_MARK}Cannot cast `{v}` to type `{t.name}`{_MARK}")
        return int(v) if not isinstance(v, str) else int(v)
    if tid in _FLOATS:
        return float(v)
    if tid == DataType.BOOLEAN:
        return bool(v) if not isinstance(v, str) else v.lower() == "true"
    if tid in _OBJECTS:
        return orjson.dumps(v).decode()
    if tid == DataType.GEO_POINT:
        return [float(x) for x in v]
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v if isinstance(v, str) else orjson.dumps(v).decode()


def _engine_type(t: CrateType) -> str:
    """The DuckDB type a function argument or result travels as."""
    if t.id == DataType.ARRAY and t.inner is not None:
        return _engine_type(t.inner) + "[]"
    if t.id in _OBJECTS:
        return "VARCHAR"  # JSON text
    if t.id in _TIMES:
        return "BIGINT"  # epoch milliseconds
    if t.id == DataType.NUMERIC:
        return "DOUBLE"
    return t.duck


_CONTEXTS: set = set()
#: seconds between a call's timeout and the closing of its context (see Udf.__call__)
LATE_CLOSE = 1.0


def _close_later(ctx) -> None:
    def close():
        _CONTEXTS.discard(ctx)
        try:
            ctx.close()
        except Exception:  # noqa: BLE001 - best effort, as at exit
            pass

    timer = threading.Timer(LATE_CLOSE, close)
    timer.daemon = True
    timer.start()


def _close_all() -> None:
    for ctx in list(_CONTEXTS):
        try:
            ctx.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    _CONTEXTS.clear()


if ENGINE_AVAILABLE:
    # an open V8 context keeps the interpreter from exiting: close them all before the
    # interpreter joins its threads
    threading._register_atexit(_close_all)

_engine_names = itertools.count(1)


class Udfs:
    """The functions of one server, by signature; registered with the engine. Thread-safe."""

    def __init__(self, engine):
        self._engine = engine
        self._lock = threading.Lock()
        self._by_sig: dict[tuple, Udf] = {}

    def load(self, session) -> None:
        """Read the persisted functions (a database file may hold some)."""
        session.execute(META_DDL)
        for schema, name, arg_names, arg_types, ret, lang, definition in session.execute(
                f"SELECT * FROM {META_SCHEMA}.functions").rows:
            udf = Udf(schema, name, list(arg_names), [parse_type_name(t) for t in arg_types],
                      parse_type_name(ret), lang, definition)
            if ENGINE_AVAILABLE and lang == "javascript":
                self._register(udf)
        self._view(session)

    def _register(self, udf: Udf) -> None:
        udf.engine_name = f"_crate_udf_{next(_engine_names)}"

        def call(*args):
            return udf(*args)

        # DuckDB counts the parameters of the callable it is given
        call.__signature__ = inspect.Signature([
            inspect.Parameter(f"a{i}", inspect.Parameter.POSITIONAL_ONLY)
            for i in range(len(udf.arg_types))])
        self._engine.create_function(udf.engine_name, call,
                                     [_engine_type(t) for t in udf.arg_types],
                                     _engine_type(udf.return_type), side_effects=True)
        self._by_sig[udf.signature] = udf

    def _view(self, session) -> None:
        rows = ", ".join(
            "(" + ", ".join(_quote(x) for x in (
                u.schema, u.name, u.specific_name, u.definition, u.return_type.name,
                u.language)) + ")"
            for u in self._by_sig.values())
        body = (f"SELECT * FROM (VALUES {rows}) v(schema_name, name, specific_name, "
                "definition, data_type, language)") if rows else (
            "SELECT NULL::VARCHAR AS schema_name, NULL::VARCHAR AS name, "
            "NULL::VARCHAR AS specific_name, NULL::VARCHAR AS definition, "
            "NULL::VARCHAR AS data_type, NULL::VARCHAR AS language WHERE false")
        session.execute(f"CREATE OR REPLACE VIEW {META_SCHEMA}.functions_view AS {body}")

    def find(self, schema: str, name: str, nargs: int) -> list[Udf]:
        with self._lock:
            return [u for u in self._by_sig.values()
                    if u.schema == schema and u.name == name and len(u.arg_types) == nargs]

    def add(self, session, udf: Udf, replace: bool) -> None:
        with self._lock:
            old = self._by_sig.get(udf.signature)
            if old is not None and not replace:
                raise cerr.CrateError(4098, "UserDefinedFunctionAlreadyExistsException",
                                      f"User defined Function '{udf.schema}."
                                      f"{udf.specific_name}' already exists.")
            session.execute(f"DELETE FROM {META_SCHEMA}.functions WHERE schema_name = $1 AND "
                            "name = $2 AND arg_types = $3",
                            [udf.schema, udf.name, [t.text() for t in udf.arg_types]])
            session.execute(f"INSERT INTO {META_SCHEMA}.functions VALUES "
                            "($1, $2, $3, $4, $5, $6, $7)",
                            [udf.schema, udf.name, udf.arg_names,
                             [t.text() for t in udf.arg_types], udf.return_type.text(),
                             udf.language, udf.definition])
            if old is not None:
                self._forget(old)
            self._register(udf)
            self._view(session)

    def drop(self, session, schema: str, name: str, arg_types: list[CrateType],
             if_exists: bool) -> int:
        sig = (schema, name, tuple(t.text() for t in arg_types))
        with self._lock:
            old = self._by_sig.get(sig)
            if old is None:
                if if_exists:
                    return 1
                raise cerr.CrateError(4049, "UserDefinedFunctionUnknownException",
                                      f"Cannot resolve user defined function: '{schema}.{name}("
                                      f"{','.join(t.name for t in arg_types)})'")
            session.execute(f"DELETE FROM {META_SCHEMA}.functions WHERE schema_name = $1 AND "
                            "name = $2 AND arg_types = $3", [schema, name, list(sig[2])])
            self._forget(old)
            self._view(session)
        return 1

    def _forget(self, udf: Udf) -> None:
        self._by_sig.pop(udf.signature, None)
        self._engine.remove_function(udf.engine_name)
        udf.close()

    def close(self) -> None:
        with self._lock:
            for udf in self._by_sig.values():
                udf.close()


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


# --- statements ------------------------------------------------------------------------

def _argument(p: DdlParser) -> tuple[str | None, CrateType]:
    start = p.i
    try:
        name = p.ident()
        if not p.at("COMMA", "R_PAREN"):
            return name, p.data_type()
    except cerr.CrateError:
        pass
    p.i = start
    return None, p.data_type()


def create_function(sess, stmt: Statement, udfs: Udfs) -> int:
    """``CREATE [OR REPLACE] FUNCTION`` (rowcount 1)."""
    p = DdlParser(stmt)
    p.take("CREATE")
    replace = bool(p.accept("OR"))
    if replace:
        p.take("REPLACE")
    p.take("FUNCTION")
    schema, name = p.qname()
    schema = schema or sess.schema
    p.take("L_PAREN")
    args: list[tuple[str | None, CrateType]] = []
    if not p.accept("R_PAREN"):
        args.append(_argument(p))
        while p.accept("COMMA"):
            args.append(_argument(p))
        p.take("R_PAREN")
    p.take("RETURNS")
    returns = p.data_type()
    p.take("LANGUAGE")
    lang_tok = p.peek()
    if lang_tok is None:
        raise p.error("an identifier")
    p.i += 1
    language = lang_tok.value if lang_tok.kind in ("STRING", "IDENTIFIER") else \
        lang_tok.value.lower()
    p.take("AS")
    body = p.take("STRING").value
    if p.peek() is not None:
        raise p.error("<EOF>")
    if language != "javascript" or not ENGINE_AVAILABLE:
        raise cerr.parse_error(f"'{language}' is not a valid UDF language")
    for t in [t for _, t in args] + [returns]:
        inner = t
        while inner.id == DataType.ARRAY and inner.inner is not None:
            inner = inner.inner
        if inner.id not in _SUPPORTED:
            raise cerr.unsupported(f"JavaScript functions with {t.name} values are not "
                                   "supported by this server")
    udf = Udf(schema, name, [n or "" for n, _ in args], [t for _, t in args], returns,
              language, body)
    _validate(udf)
    udfs.add(sess.engine_session, udf, replace)
    sess.catalog.touch()  # cached translations may call the old definition
    return 1


def _validate(udf: Udf) -> None:
    ctx = MiniRacer()
    try:
        try:
            ctx.eval(udf.definition, timeout_sec=CALL_TIMEOUT)
            found = ctx.eval(f"typeof globalThis[{orjson.dumps(udf.name).decode()}]") \
                == "function"
            problem = None if found else (
                f"The name of the function signature '{udf.name}' doesn't match the function "
                "name in the function definition.")
        except js_errors.MiniRacerBaseException as exc:
            problem = _message(exc)
    finally:
        ctx.close()
    if problem is not None:
        types = ", ".join(t.name for t in udf.arg_types)
        raise cerr.CrateError(
            5000, "ScriptException",
            f"javascript ScriptException: Invalid javascript in function '{udf.schema}."
            f"{udf.name}({types})' AS '{udf.definition}': {problem}")


def drop_function(sess, stmt: Statement, udfs: Udfs) -> int:
    """``DROP FUNCTION [IF EXISTS] name([argname] type, ...)`` (rowcount 1)."""
    p = DdlParser(stmt)
    p.take("DROP")
    p.take("FUNCTION")
    if_exists = False
    if p.word() == "IF":
        p.i += 1
        p.take("EXISTS")
        if_exists = True
    schema, name = p.qname()
    p.take("L_PAREN")
    types: list[CrateType] = []
    if not p.accept("R_PAREN"):
        types.append(_argument(p)[1])
        while p.accept("COMMA"):
            types.append(_argument(p)[1])
        p.take("R_PAREN")
    if p.peek() is not None:
        raise p.error("<EOF>")
    count = udfs.drop(sess.engine_session, schema or sess.schema, name, types, if_exists)
    sess.catalog.touch()
    return count


# --- calls -----------------------------------------------------------------------------

def _call_arg(node: exp.Anonymous, i: int, t: CrateType, translator) -> exp.Expression:
    if t.id in _TIMES:
        translator._hint(node.expressions[i], t)  # may replace a literal
    e = node.expressions[i].copy()
    if t.id in _OBJECTS:
        return exp.cast(exp.func("to_json", e), "VARCHAR")
    if t.id in _TIMES:
        return exp.func("epoch_ms", exp.cast(e, "TIMESTAMP"))
    return exp.Cast(this=e, to=exp.DataType.build(_engine_type(t), dialect="duckdb"))


def rewrite_calls(translator, tree: exp.Expression, udfs: Udfs | None) -> None:
    """Calls of UDFs (``f(...)`` in the session schema, ``schema.f(...)``) as calls of the
    engine functions that run them; results cast back to their CrateDB type."""
    if udfs is None:
        return
    for node in list(tree.find_all(exp.Anonymous)):
        parent = node.parent
        qualified = isinstance(parent, exp.Dot) and parent.expression is node
        schema = parent.this.name if qualified else translator.schema
        found = udfs.find(schema, node.name.lower(), len(node.expressions))
        if not found:
            continue
        udf = found[0]
        args = [_call_arg(node, i, t, translator) for i, t in enumerate(udf.arg_types)]
        call: exp.Expression = exp.Anonymous(this=udf.engine_name, expressions=args)
        rt = udf.return_type
        if rt.id in _OBJECTS:
            call = exp.Anonymous(this="json", expressions=[call])  # JSON text -> JSON
        elif rt.id in _TIMES:
            call = exp.cast(exp.func("epoch_ms", call), rt.duck)
        elif rt.id == DataType.NUMERIC:
            call = exp.cast(call, rt.duck)
        (parent if qualified else node).replace(call)
