"""Exasol WebSocket API codec, sans I/O: message shapes, framing, login crypto, type
descriptions and value encodings in both directions.

Shared by the reference driver (client side) and the mock server (server side). Nothing here
opens a socket. Source: ``protocols/exasol.md`` (sections cited inline), checked against
pyexasol 3.0.1. The WebSocket library does the framing, so the codec works on whole
messages: :class:`Connection` (one per connection and side) tracks the login phase and the
compression switch and turns JSON objects into WebSocket message payloads and back; the
functions below build and read the objects.

Errors come in pairs (drivers/wire/base.py):

- :class:`EncodeError` (a :class:`LocalProtocolError`): a value or message our own side
  cannot put on the wire;
- :class:`RequestError` (a :class:`RemoteProtocolError`): a request the server refuses; it
  carries Exasol's ``sqlCode`` and text, and :meth:`RequestError.reply` is the error reply;
- :class:`ResponseError` (a :class:`RemoteProtocolError`): a reply the client cannot read;
- :class:`ServerError`: not a protocol error but a well-formed ``status: error`` reply, read
  by :func:`parse_reply` on the client side (``sql_code``, ``text``).

Values (exasol.md 5.5, 5.6), one table per type family with both directions side by side:
result ``data`` written by :func:`encode_value` (server) and read by :func:`decode_value`
(client); prepared-statement parameters written by :func:`encode_param` (client) and read by
:func:`decode_param` (server, strict about JSON kinds as the real server is).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import decimal
import enum
import json
import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dbapi_conformance.drivers.wire.base import LocalProtocolError, RemoteProtocolError, Side

__all__ = [
    "DEFAULT_PORT", "PROTOCOL_VERSIONS", "MAX_PROTOCOL_VERSION", "INLINE_ROW_LIMIT",
    "MAX_DATA_MESSAGE_SIZE", "DEFAULT_FETCH_BYTES", "SqlCode", "TypeName", "Phase",
    "EncodeError", "RequestError", "ResponseError", "ServerError", "Connection",
    "compress", "decompress", "dumps", "loads",
    "generate_key", "public_key_fields", "load_private_key", "private_key_pem",
    "encrypt_password", "decrypt_password",
    "login_request", "login_token_request", "public_key_reply", "auth_request",
    "login_info", "command", "ok_reply", "error_reply", "parse_request", "parse_reply",
    "Request", "Reply", "REQUEST_FIELDS", "ATTRIBUTE_TYPES", "READ_ONLY_ATTRIBUTES",
    "DEFAULT_ATTRIBUTES", "check_attributes", "METADATA_COMMANDS", "AUTH_FAILED",
    "boolean_type", "char_type", "varchar_type", "decimal_type", "double_type", "date_type",
    "timestamp_type", "interval_ym_type", "interval_ds_type", "geometry_type",
    "hashtype_type", "check_data_type",
    "encode_value", "decode_value", "value_encoder", "value_decoder",
    "encode_param", "decode_param",
    "to_columns", "to_rows", "row_count_result", "result_set", "fetch_reply",
    "rows_within", "execute_request", "execute_batch_request", "fetch_request",
    "close_result_set_request", "create_prepared_statement_request",
    "execute_prepared_statement_request", "close_prepared_statement_request",
    "get_attributes_request", "set_attributes_request", "get_hosts_request",
    "disconnect_request", "abort_query_request", "Result", "read_result", "decode_rows",
]

DEFAULT_PORT = 8563
#: Protocol versions this codec speaks (exasol.md 1.5); a higher request is answered with
#: the highest (real servers since 6.2.5 downgrade silently).
PROTOCOL_VERSIONS = (1, 2, 3, 4)
MAX_PROTOCOL_VERSION = PROTOCOL_VERSIONS[-1]
#: Results with fewer rows come inline; at and above, a result set handle (exasol.md 5.2).
INLINE_ROW_LIMIT = 1000
#: ``maxDataMessageSize`` of real servers (64 MiB), also the ``fetch.numBytes`` cap.
MAX_DATA_MESSAGE_SIZE = 64 * 1024 * 1024
#: pyexasol's default ``fetch_size_bytes`` (5 MiB).
DEFAULT_FETCH_BYTES = 5 * 1024 * 1024


class SqlCode(str, enum.Enum):
    """``exception.sqlCode`` values (exasol.md 3): five-character strings."""

    UNKNOWN = "00000"  # protocol and JSON-level errors
    CONNECTION = "08004"  # login failures, TLS required
    SYNTAX_OR_ACCESS = "42000"  # syntax errors, unknown objects, access
    CONSTRAINT_NOT_NULL = "27001"
    CONSTRAINT_KEY = "42X91"  # primary / foreign key violation
    DATA_EXCEPTION = "22000"
    NUMERIC_OUT_OF_RANGE = "22003"
    INVALID_DATETIME = "22007"
    DIVISION_BY_ZERO = "22012"
    INVALID_CAST = "22018"
    STRING_TOO_LONG = "22001"
    QUERY_TIMEOUT = "R0001"
    QUERY_ABORTED = "R0003"
    TRANSACTION_CONFLICT = "40001"


class TypeName(str, enum.Enum):
    """The twelve ``dataType.type`` names (exasol.md 5.4); no SQL aliases ever appear."""

    BOOLEAN = "BOOLEAN"
    CHAR = "CHAR"
    DATE = "DATE"
    DECIMAL = "DECIMAL"
    DOUBLE = "DOUBLE"
    GEOMETRY = "GEOMETRY"
    HASHTYPE = "HASHTYPE"
    INTERVAL_DAY_TO_SECOND = "INTERVAL DAY TO SECOND"
    INTERVAL_YEAR_TO_MONTH = "INTERVAL YEAR TO MONTH"
    TIMESTAMP = "TIMESTAMP"
    TIMESTAMP_WITH_LOCAL_TIME_ZONE = "TIMESTAMP WITH LOCAL TIME ZONE"
    VARCHAR = "VARCHAR"


_TYPE_NAMES = frozenset(t.value for t in TypeName)

# ---------------------------------------------------------------------------------------
# Errors


class EncodeError(LocalProtocolError, TypeError):
    """A value or message our side cannot send (a value with no wire form for its type, a
    message over the size limit). Nothing was sent."""


class RequestError(RemoteProtocolError):
    """A request the server refuses: ``sql_code`` (:class:`SqlCode` value) and ``text``.
    ``fatal``: the connection must end after the reply (a broken frame)."""

    def __init__(self, sql_code: str, text: str, *, fatal: bool = False):
        super().__init__(f"[{sql_code}] {text}")
        self.sql_code = str(getattr(sql_code, "value", sql_code))
        self.text = text
        self.fatal = fatal

    def reply(self, attributes: Mapping[str, Any] | None = None) -> dict:
        """The ``status: error`` reply for this error (exasol.md 3)."""
        return error_reply(self.sql_code, self.text, attributes)


class ResponseError(RemoteProtocolError):
    """A reply the client cannot read: not JSON, not zlib, or not the shape of exasol.md 3."""


class ServerError(Exception):
    """A well-formed ``status: error`` reply: ``sql_code``, ``text`` and any ``attributes``
    that came with it. A driver maps ``sql_code`` to a PEP 249 class."""

    def __init__(self, sql_code: str, text: str, attributes: Mapping[str, Any] | None = None):
        super().__init__(f"[{sql_code}] {text}")
        self.sql_code = sql_code
        self.text = text
        self.attributes = dict(attributes or {})


# ---------------------------------------------------------------------------------------
# Framing: JSON text, or zlib streams in binary frames after a compressed login (1.2, 1.4)


def dumps(obj: Any) -> str:
    """Compact JSON text of a message. EncodeError for a value JSON cannot hold (NaN,
    infinity, an object of an unknown type)."""
    try:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EncodeError(f"message cannot be encoded as JSON: {exc}") from None


def loads(data: str | bytes, error: type[Exception] = ResponseError) -> Any:
    """Parse JSON text (str or UTF-8 bytes); ``error`` (ResponseError, or a callable
    building the server's RequestError) for anything else."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _make_error(error, f"malformed JSON: {exc}") from None


def _make_error(error, text: str) -> Exception:
    if error is RequestError:
        return RequestError(SqlCode.UNKNOWN, text)
    return error(text)


def compress(text: str | bytes, level: int = 1) -> bytes:
    """One complete zlib stream (RFC 1950) of the UTF-8 JSON, as in a compressed frame
    (exasol.md 1.4; level 1 as pyexasol)."""
    return zlib.compress(text.encode("utf-8") if isinstance(text, str) else text, level)


def decompress(payload: bytes, max_size: int = MAX_DATA_MESSAGE_SIZE,
               error: type[Exception] = ResponseError) -> bytes:
    """The bytes held by one zlib stream, inflating at most ``max_size`` bytes: a stream
    that holds more (a zlib bomb), is truncated, or is not zlib raises ``error``
    (RequestError with sqlCode 00000 and ``fatal`` set, or ResponseError)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(payload, max_size)
    except zlib.error as exc:
        raise _fatal(error, f"compressed message is not a zlib stream: {exc}") from None
    if inflater.unconsumed_tail:
        raise _fatal(error, f"compressed message inflates beyond {max_size} bytes")
    if not inflater.eof:
        raise _fatal(error, "compressed message ends inside its zlib stream")
    return out


def _fatal(error, text: str) -> Exception:
    if error is RequestError:
        return RequestError(SqlCode.UNKNOWN, text, fatal=True)
    return error(text)


class Phase(enum.Enum):
    """Login state of a connection (exasol.md 10 item 2)."""

    NEW = "new"  # expects login / loginToken
    AUTH = "auth"  # public key sent: the next message is the credentials message
    READY = "ready"  # logged in: commands
    CLOSED = "closed"  # after disconnect


class Connection:
    """Per-connection message codec for one side (``Side.CLIENT`` / ``Side.SERVER``).

    - :meth:`send` turns a JSON object into the payload to send: ``str`` (a text frame)
      before compression is on, ``bytes`` (a binary frame holding a zlib stream) after;
    - :meth:`receive` turns a received payload into a JSON object (server side: a
      :class:`RequestError` for malformed input, ``fatal`` when the connection must end;
      client side: :class:`ResponseError`);
    - :attr:`phase` follows the login: :meth:`login_sent` / :meth:`login_accepted` /
      :meth:`credentials_accepted` / :meth:`disconnected`. Compression starts with the
      message after the credentials reply (exasol.md 1.4), when :meth:`credentials_accepted`
      gets ``compression=True``.

    ``max_size``: the largest JSON text accepted, also when inflating (bytes).
    """

    def __init__(self, side: Side, *, max_size: int = MAX_DATA_MESSAGE_SIZE):
        self.side = side
        self.max_size = max_size
        self.phase = Phase.NEW
        self.compression = False
        self.protocol_version: int | None = None

    @property
    def _error(self):
        return RequestError if self.side is Side.SERVER else ResponseError

    def send(self, obj: Mapping[str, Any]) -> str | bytes:
        text = dumps(obj)
        if len(text) > self.max_size and self.side is Side.CLIENT:
            raise EncodeError(f"message of {len(text)} characters over {self.max_size}")
        return compress(text) if self.compression else text

    def receive(self, payload: str | bytes) -> dict:
        if self.compression:
            if isinstance(payload, str):
                raise _fatal(self._error, "expected a compressed binary frame, got text")
            payload = decompress(payload, self.max_size, self._error)
        elif isinstance(payload, bytes):
            # uncompressed JSON may come as bytes in a text frame (pyexasol with orjson);
            # websockets hands text frames as str, so this is a binary frame.
            if self.side is Side.SERVER and self.phase is Phase.READY:
                raise _fatal(self._error, "binary frame on an uncompressed connection")
        if len(payload) > self.max_size:
            raise _fatal(self._error, f"message over {self.max_size} bytes")
        obj = loads(payload, self._error)
        if not isinstance(obj, dict):
            raise _make_error(self._error, "message is not a JSON object")
        return obj

    def login_sent(self, protocol_version: int) -> None:
        """Client: a login request went out (or server: one came in)."""
        self.phase = Phase.AUTH
        self.protocol_version = protocol_version

    login_accepted = login_sent

    def credentials_accepted(self, compression: bool, protocol_version: int | None = None
                             ) -> None:
        """The login info reply was sent (server) or read (client); compression from now."""
        self.phase = Phase.READY
        self.compression = bool(compression)
        if protocol_version is not None:
            self.protocol_version = protocol_version

    def disconnected(self) -> None:
        self.phase = Phase.CLOSED


# ---------------------------------------------------------------------------------------
# Login crypto (exasol.md 2.1, 2.2): 1024-bit RSA, PKCS#1 PEM, PKCS#1 v1.5 padding, base64


def generate_key(bits: int = 1024):
    """A fresh RSA private key (``cryptography``), public exponent 65537."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_pem(key) -> str:
    """PKCS#8 PEM of a private key (for test fixtures)."""
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def load_private_key(pem: str | bytes):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(
        pem.encode("ascii") if isinstance(pem, str) else pem, password=None)


def public_key_fields(key) -> dict[str, str]:
    """``publicKeyPem`` (PKCS#1, ``BEGIN RSA PUBLIC KEY``), ``publicKeyModulus`` and
    ``publicKeyExponent`` (upper-case hex, no ``0x``) of a private key's public half."""
    from cryptography.hazmat.primitives import serialization

    public = key.public_key()
    numbers = public.public_numbers()
    pem = public.public_bytes(serialization.Encoding.PEM,
                              serialization.PublicFormat.PKCS1).decode("ascii")
    exponent = f"{numbers.e:X}"
    return {"publicKeyPem": pem, "publicKeyModulus": f"{numbers.n:X}",
            "publicKeyExponent": exponent.zfill(len(exponent) + len(exponent) % 2)}


def encrypt_password(public_key_pem: str, password: str) -> str:
    """base64(RSA PKCS#1 v1.5 encrypt(UTF-8 password)) with the server's public key (PKCS#1
    or SubjectPublicKeyInfo PEM). EncodeError for an unreadable key or a password too long
    for the key (117 bytes with 1024 bits)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
        cipher = key.encrypt(password.encode("utf-8"), padding.PKCS1v15())
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise EncodeError(f"cannot encrypt the password: {exc}") from None
    return base64.b64encode(cipher).decode("ascii")


def decrypt_password(key, encrypted: str) -> str:
    """The password of an auth message (server side). RequestError 08004 (authentication
    failed) for anything that does not decrypt to UTF-8 text."""
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        cipher = base64.b64decode(encrypted.encode("ascii"), validate=True)
        return key.decrypt(cipher, padding.PKCS1v15()).decode("utf-8")
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise RequestError(SqlCode.CONNECTION, AUTH_FAILED) from None


AUTH_FAILED = "Connection exception - authentication failed."

# ---------------------------------------------------------------------------------------
# Message shapes (exasol.md 2, 3, 4)


def login_request(protocol_version: int = 3) -> dict:
    """``{"command":"login","protocolVersion":N}`` (2.1)."""
    return {"command": "login", "protocolVersion": protocol_version}


def login_token_request(protocol_version: int = 3) -> dict:
    """``{"command":"loginToken","protocolVersion":N}`` (2.4, v3+)."""
    return {"command": "loginToken", "protocolVersion": protocol_version}


def public_key_reply(key) -> dict:
    """The login reply: ``responseData`` with the public key fields (2.1)."""
    return ok_reply(public_key_fields(key))


def auth_request(username: str, password: str, *, use_compression: bool = False,
                 attributes: Mapping[str, Any] | None = None, client_name: str = "",
                 driver_name: str = "", client_version: str = "", client_os: str = "",
                 client_os_username: str = "", client_runtime: str = "",
                 session_id: int | None = None) -> dict:
    """The credentials message (2.2; no ``command`` field). ``password`` is the
    *encrypted* password (:func:`encrypt_password`)."""
    msg: dict[str, Any] = {"username": username, "password": password,
                           "useCompression": bool(use_compression)}
    for name, value in (("clientName", client_name), ("driverName", driver_name),
                        ("clientVersion", client_version), ("clientOs", client_os),
                        ("clientOsUsername", client_os_username),
                        ("clientRuntime", client_runtime)):
        if value:
            msg[name] = value
    if session_id is not None:
        msg["sessionId"] = session_id
    if attributes:
        msg["attributes"] = dict(attributes)
    return msg


def login_info(session_id: int, protocol_version: int, *, release_version: str = "8.34.0",
               database_name: str = "EXA_DB", product_name: str = "EXASolution",
               time_zone: str = "UNIVERSAL") -> dict:
    """The credentials reply: ``responseData`` with the 11 login info fields (2.3)."""
    return ok_reply({
        "sessionId": session_id, "protocolVersion": protocol_version,
        "releaseVersion": release_version, "databaseName": database_name,
        "productName": product_name, "maxDataMessageSize": MAX_DATA_MESSAGE_SIZE,
        "maxIdentifierLength": 128, "maxVarcharLength": 2000000,
        "identifierQuoteString": '"', "timeZone": time_zone,
        "timeZoneBehavior": "INVALID SHIFT AMBIGUOUS ST",
    })


def command(name: str, /, attributes: Mapping[str, Any] | None = None, **fields: Any) -> dict:
    """A command request: ``{"command": name, **fields}`` plus optional ``attributes``
    (4). Fields given as None are left out."""
    msg: dict[str, Any] = {"command": name}
    msg.update((k, v) for k, v in fields.items() if v is not None)
    if attributes:
        msg["attributes"] = dict(attributes)
    return msg


def ok_reply(response_data: Mapping[str, Any] | None = None,
             attributes: Mapping[str, Any] | None = None) -> dict:
    """``{"status":"ok"}`` with optional ``responseData`` and ``attributes`` (3)."""
    msg: dict[str, Any] = {"status": "ok"}
    if response_data is not None:
        msg["responseData"] = response_data
    if attributes:
        msg["attributes"] = dict(attributes)
    return msg


def error_reply(sql_code: str, text: str, attributes: Mapping[str, Any] | None = None) -> dict:
    """``{"status":"error","exception":{"sqlCode":..,"text":..}}`` (3)."""
    msg: dict[str, Any] = {"status": "error",
                           "exception": {"sqlCode": str(getattr(sql_code, "value", sql_code)),
                                         "text": text}}
    if attributes:
        msg["attributes"] = dict(attributes)
    return msg


# Field kinds of requests; the server is strict (real texts: "getString: JSON value is not a
# string", exasol.md 3).
_KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "getString: JSON value is not a string"),
    "int": ((int,), "getInt: JSON value is not an integer"),
    "bool": ((bool,), "getBool: JSON value is not a boolean"),
    "object": ((dict,), "getObject: JSON value is not an object"),
    "array": ((list,), "getArray: JSON value is not an array"),
    "strings": ((list,), "getArray: JSON value is not an array of strings"),
    "ints": ((list,), "getArray: JSON value is not an array of integers"),
    "nullable_string": ((str, type(None)), "getString: JSON value is not a string"),
}

#: command -> {field: (kind, required)} of the requests the server reads (exasol.md 4, 7).
REQUEST_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "login": {"protocolVersion": ("int", True)},
    "loginToken": {"protocolVersion": ("int", True)},
    "disconnect": {},
    "execute": {"sqlText": ("string", True)},
    "executeBatch": {"sqlTexts": ("strings", True)},
    "fetch": {"resultSetHandle": ("int", True), "startPosition": ("int", True),
              "numBytes": ("int", True)},
    "closeResultSet": {"resultSetHandles": ("ints", True)},
    "getResultSetHeader": {"resultSetHandles": ("ints", True)},
    "createPreparedStatement": {"sqlText": ("string", True)},
    "executePreparedStatement": {"statementHandle": ("int", True), "numColumns": ("int", True),
                                 "numRows": ("int", True), "columns": ("array", False),
                                 "data": ("array", False)},
    "closePreparedStatement": {"statementHandle": ("int", True)},
    "getAttributes": {},
    "setAttributes": {"attributes": ("object", True)},
    "getHosts": {"hostIp": ("string", False)},
    "abortQuery": {},
    "getSchemas": {"schema": ("nullable_string", False)},
    "getTables": {"schema": ("nullable_string", False), "table": ("nullable_string", False),
                  "tableTypes": ("strings", False)},
    "getColumns": {"schema": ("nullable_string", False), "table": ("nullable_string", False),
                   "column": ("nullable_string", False), "tableTypes": ("strings", False)},
    "getKeywords": {},
    "getTableTypes": {},
    "getFunctions": {"schema": ("nullable_string", False),
                     "function": ("nullable_string", False)},
    "getScripts": {"schema": ("nullable_string", False), "script": ("nullable_string", False)},
    "getPrimaryKeys": {"schema": ("nullable_string", False),
                       "table": ("nullable_string", False)},
    "getProperties": {"name": ("nullable_string", False)},
    "getUsers": {"name": ("nullable_string", False)},
    "getRoles": {"name": ("nullable_string", False)},
    "getConnections": {"name": ("nullable_string", False)},
    "getTablePrivileges": {"schema": ("nullable_string", False),
                           "table": ("nullable_string", False)},
    "getColumnPrivileges": {"schema": ("nullable_string", False),
                            "table": ("nullable_string", False),
                            "column": ("nullable_string", False)},
    "getTypeInfo": {},
}

#: Metadata commands (v2+, exasol.md 7).
METADATA_COMMANDS = frozenset(c for c in REQUEST_FIELDS if c.startswith("get") and c not in (
    "getAttributes", "getHosts", "getResultSetHeader"))


@dataclass(frozen=True)
class Request:
    """A decoded request: ``command`` (None for the credentials message), its ``fields``
    (checked against :data:`REQUEST_FIELDS`), and ``attributes`` to apply before it runs."""

    command: str | None
    fields: Mapping[str, Any]
    attributes: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


def _check_kind(name: str, value: Any, kind: str) -> None:
    types, text = _KINDS[kind]
    ok = isinstance(value, types) and not (kind == "int" and isinstance(value, bool))
    if ok and kind == "strings":
        ok = all(isinstance(v, str) for v in value)
    if ok and kind == "ints":
        ok = all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    if not ok:
        raise RequestError(SqlCode.UNKNOWN, f"{text} (field '{name}')")


def parse_request(obj: Mapping[str, Any], phase: Phase = Phase.READY) -> Request:
    """Check a request object the server received in ``phase`` (exasol.md 2, 4).

    In :attr:`Phase.AUTH` the message is the credentials message (``username`` +
    ``password``, or ``accessToken``/``refreshToken``). Elsewhere it needs a ``command`` of
    :data:`REQUEST_FIELDS` with fields of the right JSON kinds. Raises RequestError with
    sqlCode 00000 and the real server's texts (``JSON value '/command' is required, but was
    not provided.``) otherwise.
    """
    attributes = obj.get("attributes", {})
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        raise RequestError(SqlCode.UNKNOWN, "getObject: JSON value is not an object "
                                            "(field 'attributes')")
    if phase is Phase.AUTH:
        fields = {k: v for k, v in obj.items() if k != "attributes"}
        for name in ("username", "password", "accessToken", "refreshToken", "clientName",
                     "driverName", "clientVersion", "clientOs", "clientOsUsername",
                     "clientRuntime", "clientLanguage"):
            if name in fields and not isinstance(fields[name], str):
                raise RequestError(SqlCode.UNKNOWN, f"getString: JSON value is not a string "
                                                    f"(field '{name}')")
        if "useCompression" in fields and not isinstance(fields["useCompression"], bool):
            raise RequestError(SqlCode.UNKNOWN, "getBool: JSON value is not a boolean "
                                                "(field 'useCompression')")
        return Request(None, fields, attributes)
    name = obj.get("command")
    if name is None:
        raise RequestError(SqlCode.UNKNOWN,
                           "JSON value '/command' is required, but was not provided.")
    if not isinstance(name, str):
        raise RequestError(SqlCode.UNKNOWN, "getString: JSON value is not a string "
                                            "(field 'command')")
    spec = REQUEST_FIELDS.get(name)
    if spec is None:
        raise RequestError(SqlCode.UNKNOWN, f"Unknown command: {name}"[:200])
    for field_name, (kind, required) in spec.items():
        if field_name not in obj:
            if required:
                raise RequestError(SqlCode.UNKNOWN, f"JSON value '/{field_name}' is required, "
                                                    "but was not provided.")
            continue
        _check_kind(field_name, obj[field_name], kind)
    fields = {k: v for k, v in obj.items() if k not in ("command", "attributes")}
    return Request(name, fields, attributes)


@dataclass(frozen=True)
class Reply:
    """A decoded ``status: ok`` reply: ``response_data`` (None when absent) and the
    ``attributes`` it carried ({} when none)."""

    response_data: Mapping[str, Any] | None
    attributes: Mapping[str, Any]


def parse_reply(obj: Any) -> Reply:
    """Read a reply (client side). Raises ServerError for ``status: error``, ResponseError
    for anything that is not the envelope of exasol.md 3."""
    if not isinstance(obj, dict):
        raise ResponseError("reply is not a JSON object")
    attributes = obj.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise ResponseError("reply attributes are not an object")
    status = obj.get("status")
    if status == "ok":
        data = obj.get("responseData")
        if data is not None and not isinstance(data, dict):
            raise ResponseError("reply responseData is not an object")
        return Reply(data, attributes)
    if status == "error":
        exc = obj.get("exception")
        if not isinstance(exc, dict) or not isinstance(exc.get("text"), str):
            raise ResponseError("error reply without exception text")
        return _raise(ServerError(str(exc.get("sqlCode") or SqlCode.UNKNOWN.value),
                                  exc["text"], attributes))
    raise ResponseError(f"reply status {status!r} is neither 'ok' nor 'error'")


def _raise(exc: Exception):
    raise exc


# Request builders (client side; exasol.md 4, 7). Each returns the JSON object to send.


def execute_request(sql_text: str, attributes: Mapping[str, Any] | None = None) -> dict:
    return command("execute", attributes, sqlText=sql_text)


def execute_batch_request(sql_texts: Sequence[str]) -> dict:
    return command("executeBatch", sqlTexts=list(sql_texts))


def fetch_request(handle: int, start_position: int,
                  num_bytes: int = DEFAULT_FETCH_BYTES) -> dict:
    """``fetch`` of whole rows from ``start_position`` (0-based), about ``num_bytes``
    (capped at :data:`MAX_DATA_MESSAGE_SIZE`)."""
    return command("fetch", resultSetHandle=handle, startPosition=start_position,
                   numBytes=min(num_bytes, MAX_DATA_MESSAGE_SIZE))


def close_result_set_request(handles: Iterable[int]) -> dict:
    return command("closeResultSet", resultSetHandles=list(handles))


def create_prepared_statement_request(sql_text: str) -> dict:
    return command("createPreparedStatement", sqlText=sql_text)


def execute_prepared_statement_request(handle: int, columns: Sequence[Mapping[str, Any]],
                                       rows: Sequence[Sequence[Any]]) -> dict:
    """``executePreparedStatement`` with row-major Python ``rows`` encoded per parameter
    type (:func:`encode_param`) into column-major ``data``; ``columns`` are the
    ``parameterData.columns`` of createPreparedStatement ([] without parameters).
    EncodeError for a row of the wrong width or a value that does not fit its type."""
    types = [c["dataType"] for c in columns]
    data: list[list[Any]] = [[] for _ in types]
    for row in rows:
        if len(row) != len(types):
            raise EncodeError(f"{len(row)} parameters given, the statement has {len(types)}")
        for column, value, data_type in zip(data, row, types):
            column.append(encode_param(value, data_type))
    return command("executePreparedStatement", statementHandle=handle,
                   numColumns=len(types), numRows=len(rows) if types else 0,
                   columns=[dict(c) for c in columns], data=data)


def close_prepared_statement_request(handle: int) -> dict:
    return command("closePreparedStatement", statementHandle=handle)


def get_attributes_request() -> dict:
    return command("getAttributes")


def set_attributes_request(attributes: Mapping[str, Any]) -> dict:
    return {"command": "setAttributes", "attributes": dict(attributes)}


def get_hosts_request(host_ip: str) -> dict:
    return command("getHosts", hostIp=host_ip)


def disconnect_request() -> dict:
    return command("disconnect")


def abort_query_request() -> dict:
    """``abortQuery``: sent while another request waits; it gets no reply."""
    return command("abortQuery")


# Reading results (client side; exasol.md 5.1-5.3)


@dataclass(frozen=True)
class Result:
    """One ``results[]`` element: ``row_count`` (rowCount results) or a result set with
    ``columns`` ({name, dataType}), ``num_rows``, the inline rows (``rows``, decoded; all
    of them when there is no ``handle``) and ``handle`` (fetch the rest from
    ``len(rows)``)."""

    row_count: int | None = None
    columns: tuple = ()
    num_rows: int = 0
    rows: tuple = ()
    handle: int | None = None

    @property
    def is_result_set(self) -> bool:
        return self.row_count is None


def decode_rows(columns: Sequence[Mapping[str, Any]], data: Sequence[Sequence[Any]],
                num_rows: int) -> list[tuple]:
    """Column-major JSON ``data`` -> row tuples of Python values (:func:`value_decoder`
    per column). ResponseError for a shape that does not match."""
    if len(data) != len(columns) and num_rows:
        raise ResponseError(f"data has {len(data)} columns, the result {len(columns)}")
    decoders = [value_decoder(c.get("dataType")) for c in columns]
    decoded = [[decode(v) for v in col] for decode, col in zip(decoders, data)]
    return to_rows(decoded, num_rows) if decoded else [() for _ in range(num_rows)]


def read_result(entry: Any) -> Result:
    """Read a ``results[]`` element. ResponseError for any other shape (exasol.md 5.1);
    a handle of 0 counts as none, as pyexasol and the Go driver treat it."""
    if not isinstance(entry, dict):
        raise ResponseError("result is not an object")
    kind = entry.get("resultType")
    if kind == "rowCount":
        count = entry.get("rowCount")
        if not isinstance(count, int) or isinstance(count, bool):
            raise ResponseError("rowCount result without an integer rowCount")
        return Result(row_count=count)
    if kind != "resultSet" or not isinstance(entry.get("resultSet"), dict):
        raise ResponseError(f"unknown resultType {kind!r}")
    rs = entry["resultSet"]
    columns = rs.get("columns")
    num_rows = rs.get("numRows")
    if not isinstance(columns, list) or not isinstance(num_rows, int):
        raise ResponseError("resultSet without columns or numRows")
    for column in columns:
        if not isinstance(column, dict) or not isinstance(column.get("name"), str):
            raise ResponseError("resultSet column without a name")
    in_message = rs.get("numRowsInMessage", 0) or 0
    data = rs.get("data") or []
    rows = decode_rows(columns, data, in_message) if in_message else []
    handle = rs.get("resultSetHandle") or None
    if handle is None and len(rows) != num_rows:
        raise ResponseError(f"inline result of {num_rows} rows holds {len(rows)}")
    return Result(None, tuple(columns), num_rows, tuple(rows), handle)


# ---------------------------------------------------------------------------------------
# Attributes (exasol.md 6)

#: name -> JSON kind of every session attribute.
ATTRIBUTE_TYPES: dict[str, type] = {
    "autocommit": bool, "compressionEnabled": bool, "currentSchema": str,
    "dateFormat": str, "dateLanguage": str, "datetimeFormat": str,
    "defaultLikeEscapeCharacter": str, "feedbackInterval": int, "numericCharacters": str,
    "openTransaction": bool, "queryTimeout": int, "resultSetMaxRows": int,
    "snapshotTransactionsEnabled": bool, "timestampUtcEnabled": bool, "timezone": str,
    "timeZoneBehavior": str,
}
#: Attributes a client cannot set with setAttributes (silently ignored when echoed back).
READ_ONLY_ATTRIBUTES = frozenset({
    "compressionEnabled", "dateFormat", "dateLanguage", "datetimeFormat",
    "defaultLikeEscapeCharacter", "openTransaction", "timezone", "timeZoneBehavior",
})

#: getAttributes values of a new session (exasol.md 6).
DEFAULT_ATTRIBUTES: dict[str, Any] = {
    "autocommit": True, "compressionEnabled": False, "currentSchema": "",
    "dateFormat": "YYYY-MM-DD", "dateLanguage": "ENG",
    "datetimeFormat": "YYYY-MM-DD HH24:MI:SS.FF6", "defaultLikeEscapeCharacter": "\\",
    "feedbackInterval": 1, "numericCharacters": ".,", "openTransaction": False,
    "queryTimeout": 0, "resultSetMaxRows": 0, "snapshotTransactionsEnabled": False,
    "timestampUtcEnabled": False, "timezone": "UNIVERSAL",
    "timeZoneBehavior": "INVALID SHIFT AMBIGUOUS ST",
}


def check_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The settable attributes of a request, type-checked (exasol.md 6): read-only and
    unknown names are dropped (a real server tolerates them); a settable one of the wrong
    JSON kind raises RequestError 00000. Integers must be >= 0."""
    out: dict[str, Any] = {}
    for name, value in attributes.items():
        kind = ATTRIBUTE_TYPES.get(name)
        if kind is None or name in READ_ONLY_ATTRIBUTES:
            continue
        good = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is int and good and value < 0:
            good = False
        if not good:
            raise RequestError(SqlCode.UNKNOWN,
                               f"invalid value {value!r} for attribute {name}"[:200])
        out[name] = value
    return out


# ---------------------------------------------------------------------------------------
# Type descriptions (exasol.md 5.4). v1-v4 properties; size for DATE/TIMESTAMP as Exasol 7/8.


def boolean_type() -> dict:
    return {"type": "BOOLEAN"}


def char_type(size: int, character_set: str = "UTF8") -> dict:
    return {"type": "CHAR", "size": size, "characterSet": character_set}


def varchar_type(size: int = 2000000, character_set: str = "UTF8") -> dict:
    return {"type": "VARCHAR", "size": size, "characterSet": character_set}


def decimal_type(precision: int = 18, scale: int = 0) -> dict:
    return {"type": "DECIMAL", "precision": precision, "scale": scale}


def double_type() -> dict:
    return {"type": "DOUBLE"}


def date_type() -> dict:
    return {"type": "DATE", "size": 4}


def timestamp_type(local_time_zone: bool = False) -> dict:
    name = "TIMESTAMP WITH LOCAL TIME ZONE" if local_time_zone else "TIMESTAMP"
    return {"type": name, "withLocalTimeZone": local_time_zone, "size": 8}


def interval_ym_type(precision: int = 2) -> dict:
    return {"type": "INTERVAL YEAR TO MONTH", "size": 4, "precision": precision}


def interval_ds_type(precision: int = 2, fraction: int = 3) -> dict:
    return {"type": "INTERVAL DAY TO SECOND", "size": 8, "precision": precision,
            "fraction": fraction}


def geometry_type(srid: int = 0) -> dict:
    return {"type": "GEOMETRY", "size": 8000000, "srid": srid}


def hashtype_type(size: int = 16) -> dict:
    """``size`` in bytes (HASHTYPE(16 BYTE), rendered as 32 hex digits)."""
    return {"type": "HASHTYPE", "size": size}


def check_data_type(data_type: Any) -> dict:
    """Validate a ``dataType`` object (a result column or a parameter description):
    RequestError 00000 for an unknown type name or missing DECIMAL/CHAR properties."""
    if not isinstance(data_type, dict) or data_type.get("type") not in _TYPE_NAMES:
        raise RequestError(SqlCode.UNKNOWN, f"invalid dataType {data_type!r}"[:200])
    name = data_type["type"]
    needs = {"DECIMAL": ("precision", "scale"), "CHAR": ("size",),
             "VARCHAR": ("size",)}.get(name, ())
    for prop in needs:
        value = data_type.get(prop)
        if not isinstance(value, int) or isinstance(value, bool):
            raise RequestError(SqlCode.UNKNOWN, f"dataType {name} needs an integer {prop}")
    return data_type


# ---------------------------------------------------------------------------------------
# Values (exasol.md 5.5 server -> client, 5.6 client -> server). One section per family.

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# a space between date and time, as NLS_TIMESTAMP_FORMAT has it: Exasol refuses an ISO 'T'
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$")
_INTERVAL_YM = re.compile(r"^([+-]?)(\d+)-(\d{1,2})$")
_INTERVAL_DS = re.compile(r"^([+-]?)(\d+) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$")
_HEX = re.compile(r"^[0-9a-fA-F]*$")


class _Bad(Exception):
    """A value that does not fit its type; turned into the side's error by the caller."""


# --- exact numeric: DECIMAL(p, s) ---

def _decimal_text(value: decimal.Decimal) -> str:
    """Shortest plain form, no exponent, no trailing fraction zeros (``"0.7"``, ``"-12"``)."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _as_decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, bool):
        raise _Bad("a boolean is not a number")
    if isinstance(value, decimal.Decimal):
        result = value
    elif isinstance(value, int):
        result = decimal.Decimal(value)
    elif isinstance(value, float):
        result = decimal.Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = decimal.Decimal(value.strip())
        except decimal.InvalidOperation:
            raise _Bad("not a number") from None
    else:
        raise _Bad(f"a {type(value).__name__} is not a number")
    if not result.is_finite():
        raise _Bad("not a finite number")
    return result


def _fit_decimal(value: decimal.Decimal, precision: int, scale: int) -> decimal.Decimal:
    quantum = decimal.Decimal(1).scaleb(-scale)
    ctx = decimal.Context(prec=max(precision, 1) + 40, rounding=decimal.ROUND_HALF_UP)
    rounded = value.quantize(quantum, context=ctx)
    if rounded.adjusted() >= precision - scale and rounded != 0:
        raise _Bad(f"value out of range for DECIMAL({precision},{scale})")
    return rounded


def _encode_decimal(value: Any, dt: Mapping[str, Any]) -> Any:
    precision, scale = dt.get("precision", 18), dt.get("scale", 0)
    number = _fit_decimal(_as_decimal(value), precision, scale)
    if scale == 0 and precision <= 18:
        return int(number)
    return _decimal_text(number)


def _decode_decimal(value: Any, dt: Mapping[str, Any]) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Bad("not a DECIMAL value")
    if dt.get("scale", 0) == 0:
        if isinstance(value, int):
            return value
        number = _as_decimal(value)
        if number != number.to_integral_value():
            raise _Bad("not an integer")
        return int(number)
    return _as_decimal(value)


# --- floating point: DOUBLE ---

def _encode_double(value: Any, dt: Mapping[str, Any]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise _Bad(f"a {type(value).__name__} is not a DOUBLE")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise _Bad("Exasol DOUBLE has no NaN or infinity")
    return number


def _decode_double(value: Any, dt: Mapping[str, Any]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad("not a DOUBLE value")
    return float(value)


def _decode_double_param(value: Any, dt: Mapping[str, Any]) -> float:
    # the real server wants a JSON float: 1 fails, 1.0 works (exasol.md 5.6, Go #108)
    if not isinstance(value, float):
        raise RequestError(SqlCode.UNKNOWN, "getDouble: JSON value is not a double")
    return value


# --- character: CHAR(n), VARCHAR(n) ---

def _encode_char(value: Any, dt: Mapping[str, Any]) -> str:
    if not isinstance(value, str):
        raise _Bad(f"a {type(value).__name__} is not a string")
    size = dt.get("size")
    if isinstance(size, int) and len(value) > size:
        raise _Bad(f"string of {len(value)} characters longer than {dt['type']}({size})")
    if dt["type"] == "CHAR" and isinstance(size, int):
        return value.ljust(size)
    return value


def _decode_string(value: Any, dt: Mapping[str, Any]) -> str:
    if not isinstance(value, str):
        raise _Bad("not a string")
    return value


def _decode_string_param(value: Any, dt: Mapping[str, Any]) -> str:
    if not isinstance(value, str):
        raise RequestError(SqlCode.UNKNOWN, "getString: JSON value is not a string")
    return value


# --- boolean ---

def _encode_bool(value: Any, dt: Mapping[str, Any]) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"a {type(value).__name__} is not a BOOLEAN")
    return value


_BOOL_TEXT = {"TRUE": True, "FALSE": False, "1": True, "0": False}


def _decode_bool(value: Any, dt: Mapping[str, Any]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().upper() in _BOOL_TEXT:
        return _BOOL_TEXT[value.strip().upper()]
    raise _Bad("not a BOOLEAN value")


# --- temporal: DATE, TIMESTAMP (NLS formats YYYY-MM-DD, YYYY-MM-DD HH24:MI:SS.FF6) ---

def _encode_date(value: Any, dt: Mapping[str, Any]) -> str:
    if isinstance(value, _dt.datetime):
        value = value.date()
    if not isinstance(value, _dt.date):
        raise _Bad(f"a {type(value).__name__} is not a DATE")
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _decode_date(value: Any, dt: Mapping[str, Any]) -> _dt.date:
    if not isinstance(value, str):
        raise _Bad("not a DATE string")
    m = _DATE.match(value.strip())
    if not m:
        raise _Bad("not a date in the format YYYY-MM-DD")
    try:
        return _dt.date(*map(int, m.groups()))
    except ValueError as exc:
        raise _Bad(str(exc)) from None


def _encode_timestamp(value: Any, dt: Mapping[str, Any]) -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    elif isinstance(value, _dt.date):
        value = _dt.datetime(value.year, value.month, value.day)
    else:
        raise _Bad(f"a {type(value).__name__} is not a TIMESTAMP")
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}")


def _decode_timestamp(value: Any, dt: Mapping[str, Any]) -> _dt.datetime:
    if not isinstance(value, str):
        raise _Bad("not a TIMESTAMP string")
    text = value.strip()
    m = _TIMESTAMP.match(text)
    if not m:
        d = _DATE.match(text)
        if d:  # a date alone is midnight
            return _dt.datetime(*map(int, d.groups()))
        raise _Bad("not a timestamp in the format YYYY-MM-DD HH24:MI:SS.FF6")
    *parts, fraction = m.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))  # cut to microseconds, as pyexasol
    try:
        return _dt.datetime(*map(int, parts), micro)
    except ValueError as exc:
        raise _Bad(str(exc)) from None


# --- intervals (strings on the wire; decoded to their canonical text) ---

def _encode_interval_ym(value: Any, dt: Mapping[str, Any]) -> str:
    """From total months (int) or text ``[+-]Y-M``: ``"+05-03"``."""
    if isinstance(value, bool):
        raise _Bad("a boolean is not an interval")
    if isinstance(value, int):
        months = value
    elif isinstance(value, str):
        m = _INTERVAL_YM.match(value.strip())
        if not m:
            raise _Bad("not an interval in the format [+-]Y-M")
        months = int(m.group(2)) * 12 + int(m.group(3))
        if int(m.group(3)) > 11:
            raise _Bad("months of an interval are 0..11")
        months = -months if m.group(1) == "-" else months
    else:
        raise _Bad(f"a {type(value).__name__} is not an INTERVAL YEAR TO MONTH")
    sign = "-" if months < 0 else "+"
    years, rest = divmod(abs(months), 12)
    return f"{sign}{years:02d}-{rest:02d}"


def _encode_interval_ds(value: Any, dt: Mapping[str, Any]) -> str:
    """From a timedelta or text ``[+-]D HH:MI:SS[.f]``: ``"+02 12:50:10.123"``."""
    fraction = dt.get("fraction", 3)
    if isinstance(value, str):
        value = _parse_interval_ds(value)
    if not isinstance(value, _dt.timedelta):
        raise _Bad(f"a {type(value).__name__} is not an INTERVAL DAY TO SECOND")
    sign = "-" if value < _dt.timedelta(0) else "+"
    micro = abs(value) // _dt.timedelta(microseconds=1)
    seconds, micro = divmod(micro, 1_000_000)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{sign}{days:02d} {hours:02d}:{minutes:02d}:{seconds:02d}"
    if fraction:
        text += "." + f"{micro:06d}".ljust(9, "0")[:fraction]
    return text


def _parse_interval_ds(text: str) -> _dt.timedelta:
    m = _INTERVAL_DS.match(text.strip())
    if not m:
        raise _Bad("not an interval in the format [+-]D HH:MI:SS.FF")
    sign, days, hours, minutes, seconds, fraction = m.groups()
    delta = _dt.timedelta(days=int(days), hours=int(hours), minutes=int(minutes),
                          seconds=int(seconds),
                          microseconds=int((fraction or "0")[:6].ljust(6, "0")))
    return -delta if sign == "-" else delta


def _decode_interval(value: Any, dt: Mapping[str, Any]) -> str:
    if not isinstance(value, str):
        raise _Bad("not an interval string")
    return value


# --- GEOMETRY (WKT text) and HASHTYPE (lower-case hex) ---

def _encode_geometry(value: Any, dt: Mapping[str, Any]) -> str:
    if not isinstance(value, str):
        raise _Bad(f"a {type(value).__name__} is not GEOMETRY text (WKT)")
    return value


def _encode_hashtype(value: Any, dt: Mapping[str, Any]) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value).hex()
    elif hasattr(value, "hex") and type(value).__name__ == "UUID":
        text = value.hex
    elif isinstance(value, str):
        text = value.replace("-", "").strip()
        if not _HEX.match(text):
            raise _Bad("not a hexadecimal HASHTYPE value")
        text = text.lower()
    else:
        raise _Bad(f"a {type(value).__name__} is not a HASHTYPE value")
    size = dt.get("size")
    if isinstance(size, int) and len(text) != 2 * size:
        raise _Bad(f"HASHTYPE({size} BYTE) needs {2 * size} hex digits")
    return text


_Codec = Callable[[Any, Mapping[str, Any]], Any]

#: type name -> (encode for result data, decode of result data)
_VALUE_TABLE: dict[str, tuple[_Codec, _Codec]] = {
    "DECIMAL": (_encode_decimal, _decode_decimal),
    "DOUBLE": (_encode_double, _decode_double),
    "CHAR": (_encode_char, _decode_string),
    "VARCHAR": (_encode_char, _decode_string),
    "BOOLEAN": (_encode_bool, _decode_bool),
    "DATE": (_encode_date, _decode_date),
    "TIMESTAMP": (_encode_timestamp, _decode_timestamp),
    "TIMESTAMP WITH LOCAL TIME ZONE": (_encode_timestamp, _decode_timestamp),
    "INTERVAL YEAR TO MONTH": (_encode_interval_ym, _decode_interval),
    "INTERVAL DAY TO SECOND": (_encode_interval_ds, _decode_interval),
    "GEOMETRY": (_encode_geometry, _decode_string),
    "HASHTYPE": (_encode_hashtype, _decode_string),
}

#: type name -> (client encode of a parameter, server decode of a parameter); the server
#: side reads the Python value the engine binds.
def _text_as_is(encode: _Codec) -> _Codec:
    """A parameter encoder that sends a str unchanged: the server parses text for DECIMAL,
    DATE and TIMESTAMP parameters itself (exasol.md 5.6) and answers a malformed one with
    its own data exception, as it does for pyexasol's DB-API module, which sends str as is."""
    def encode_text_or_typed(value: Any, dt: Mapping[str, Any]) -> Any:
        return value if isinstance(value, str) else encode(value, dt)

    return encode_text_or_typed


_PARAM_TABLE: dict[str, tuple[_Codec, _Codec]] = {
    "DECIMAL": (_text_as_is(_encode_decimal), lambda v, dt: _decode_decimal_param(v, dt)),
    "DOUBLE": (_encode_double, _decode_double_param),
    "CHAR": (lambda v, dt: _encode_char_param(v, dt), _decode_string_param),
    "VARCHAR": (lambda v, dt: _encode_char_param(v, dt), _decode_string_param),
    "BOOLEAN": (_encode_bool, _decode_bool),
    "DATE": (_text_as_is(_encode_date), _decode_date),
    "TIMESTAMP": (_text_as_is(_encode_timestamp), _decode_timestamp),
    "TIMESTAMP WITH LOCAL TIME ZONE": (_text_as_is(_encode_timestamp), _decode_timestamp),
    "INTERVAL YEAR TO MONTH": (_encode_interval_ym, _decode_interval),
    "INTERVAL DAY TO SECOND": (_encode_interval_ds, _decode_interval),
    "GEOMETRY": (_encode_geometry, _decode_string),
    "HASHTYPE": (_encode_hashtype, _decode_string),
}


def _encode_char_param(value: Any, dt: Mapping[str, Any]) -> str:
    # The server pads CHAR itself; a client sends the text as it is.
    if not isinstance(value, str):
        raise _Bad(f"a {type(value).__name__} is not a string")
    return value


def _decode_decimal_param(value: Any, dt: Mapping[str, Any]) -> decimal.Decimal | int:
    number = _as_decimal(value)
    fitted = _fit_decimal(number, dt.get("precision", 18), dt.get("scale", 0))
    return int(fitted) if dt.get("scale", 0) == 0 else fitted


def _type_of(dt: Mapping[str, Any]) -> str:
    name = dt.get("type") if isinstance(dt, Mapping) else None
    if name not in _TYPE_NAMES:
        raise EncodeError(f"unknown Exasol data type {dt!r}")
    return name


def encode_value(value: Any, data_type: Mapping[str, Any]) -> Any:
    """Server side: the JSON form of a result value of ``data_type`` (exasol.md 5.5).
    None -> null. EncodeError for a value that does not fit (a DECIMAL out of range, NaN)."""
    if value is None:
        return None
    try:
        return _VALUE_TABLE[_type_of(data_type)][0](value, data_type)
    except _Bad as exc:
        raise EncodeError(f"{data_type['type']}: {exc}") from None


def value_encoder(data_type: Mapping[str, Any]) -> Callable[[Any], Any]:
    """:func:`encode_value` bound to one column type (for column-major loops). The common
    engine values (an int or integral Decimal within DECIMAL(p<=18,0), a finite float, a
    naive datetime) take a short path with the very same result."""
    name = _type_of(data_type)
    fn = _VALUE_TABLE[name][0]
    general = _general_encoder(fn, data_type)
    if name == "DECIMAL" and data_type.get("scale", 0) == 0 and \
            data_type.get("precision", 18) <= 18:
        limit = 10 ** data_type.get("precision", 18)

        def encode_integer(value: Any) -> Any:
            kind = type(value)
            if kind is int:
                if -limit < value < limit:
                    return value
            elif kind is decimal.Decimal and value.is_finite():
                number = int(value)
                if number == value and -limit < number < limit:
                    return number
            return general(value)
        return encode_integer
    if name == "DOUBLE":
        def encode_double(value: Any) -> Any:
            # v - v is 0.0 only for a finite float (NaN and infinities give NaN)
            if type(value) is float and value - value == 0.0:
                return value
            return general(value)
        return encode_double
    if name in ("TIMESTAMP", "TIMESTAMP WITH LOCAL TIME ZONE"):
        def encode_timestamp(value: Any) -> Any:
            if type(value) is _dt.datetime and value.tzinfo is None:
                return value.isoformat(" ", "microseconds")  # YYYY-MM-DD HH:MM:SS.ffffff
            return general(value)
        return encode_timestamp
    return general


def _general_encoder(fn: _Codec, data_type: Mapping[str, Any]) -> Callable[[Any], Any]:
    def encode(value: Any) -> Any:
        if value is None:
            return None
        try:
            return fn(value, data_type)
        except _Bad as exc:
            raise EncodeError(f"{data_type['type']}: {exc}") from None

    return encode


def decode_value(value: Any, data_type: Mapping[str, Any]) -> Any:
    """Client side: the Python value of a result value (exasol.md 5.5): DECIMAL scale 0 ->
    int, scale > 0 -> Decimal, DOUBLE -> float, CHAR/VARCHAR -> str, BOOLEAN -> bool,
    DATE -> date, TIMESTAMP -> naive datetime (cut to microseconds), intervals, GEOMETRY
    and HASHTYPE -> their text. ResponseError for a value of the wrong JSON kind."""
    if value is None:
        return None
    return value_decoder(data_type)(value)


def value_decoder(data_type: Mapping[str, Any]) -> Callable[[Any], Any]:
    """:func:`decode_value` bound to one column type; ResponseError for an unknown type."""
    name = data_type.get("type") if isinstance(data_type, Mapping) else None
    if name not in _TYPE_NAMES:
        raise ResponseError(f"unknown Exasol data type {data_type!r}")
    fn = _VALUE_TABLE[name][1]
    if name == "DECIMAL" and data_type.get("scale", 0) == 0:
        def decode_int(value: Any) -> Any:
            if type(value) is int or value is None:
                return value
            try:
                return fn(value, data_type)
            except _Bad as exc:
                raise ResponseError(f"{name}: {exc}: {value!r}"[:200]) from None
        return decode_int

    def decode(value: Any) -> Any:
        if value is None:
            return None
        try:
            return fn(value, data_type)
        except _Bad as exc:
            raise ResponseError(f"{name}: {exc}: {value!r}"[:200]) from None

    return decode


def encode_param(value: Any, data_type: Mapping[str, Any]) -> Any:
    """Client side: the JSON form of a parameter bound to a parameter of ``data_type``
    (``parameterData.columns[i].dataType``; exasol.md 5.6): DECIMAL scale 0 within 18 digits
    as a number, other DECIMALs as strings, DOUBLE always a JSON float, text as strings,
    DATE/TIMESTAMP as ``YYYY-MM-DD`` / ``YYYY-MM-DD HH:MM:SS.ffffff``; a str bound to a
    DECIMAL, DATE or TIMESTAMP goes as it is, for the server to parse (5.6). EncodeError for
    a value that does not fit the type."""
    if value is None:
        return None
    try:
        return _PARAM_TABLE[_type_of(data_type)][0](value, data_type)
    except _Bad as exc:
        raise EncodeError(f"cannot bind {type(value).__name__} to {data_type['type']}: "
                          f"{exc}") from None


#: The session formats (NLS_DATE_FORMAT, NLS_TIMESTAMP_FORMAT) text parameters are read in.
_PARAM_FORMATS = {"DATE": "YYYY-MM-DD", "TIMESTAMP": "YYYY-MM-DD HH24:MI:SS.FF6",
                  "TIMESTAMP WITH LOCAL TIME ZONE": "YYYY-MM-DD HH24:MI:SS.FF6"}


def decode_param(value: Any, data_type: Mapping[str, Any]) -> Any:
    """Server side: the Python value of a received parameter (exasol.md 5.6). Strict as the
    real server: RequestError 00000 ``getString``/``getDouble`` texts for the wrong JSON
    kind of VARCHAR/CHAR/DOUBLE, RequestError 22018 ``invalid character value for cast``
    for text that does not read as the type, 22003 for a DECIMAL out of range."""
    if value is None:
        return None
    name = data_type.get("type") if isinstance(data_type, Mapping) else None
    if name not in _TYPE_NAMES:
        raise RequestError(SqlCode.UNKNOWN, f"invalid dataType {data_type!r}"[:200])
    try:
        return _PARAM_TABLE[name][1](value, data_type)
    except _Bad as exc:
        shown = str(value)[:100]
        form = _PARAM_FORMATS.get(name)
        # a day out of range for its month is no numeric overflow, but text not in the format
        if "out of range" in str(exc) and form is None:
            raise RequestError(SqlCode.NUMERIC_OUT_OF_RANGE,
                               f"data exception - numeric value out of range; Value: "
                               f"'{shown}'") from None
        # Exasol names the NLS format a DATE/TIMESTAMP text failed to match
        raise RequestError(SqlCode.INVALID_CAST,
                           f"data exception - invalid character value for cast; Value: "
                           f"'{shown}'" + (f" Format: '{form}'" if form else "")) from None


# ---------------------------------------------------------------------------------------
# Results (exasol.md 5.1-5.3): column-major data


def to_columns(rows: Iterable[Sequence[Any]], num_columns: int) -> list[list[Any]]:
    """Row-major rows -> column-major ``data[col][row]``. EncodeError for a row of the
    wrong width."""
    columns: list[list[Any]] = [[] for _ in range(num_columns)]
    for row in rows:
        if len(row) != num_columns:
            raise EncodeError(f"row of {len(row)} values for {num_columns} columns")
        for column, value in zip(columns, row):
            column.append(value)
    return columns


def to_rows(data: Sequence[Sequence[Any]], num_rows: int | None = None) -> list[tuple]:
    """Column-major ``data`` -> a list of row tuples. ResponseError when the columns do not
    have ``num_rows`` (or equal) lengths."""
    if not data:
        return [() for _ in range(num_rows or 0)]
    lengths = {len(col) for col in data}
    if len(lengths) != 1 or (num_rows is not None and lengths != {num_rows}):
        raise ResponseError(f"column-major data of uneven lengths {sorted(lengths)}")
    return list(zip(*data))


def row_count_result(count: int) -> dict:
    """``{"resultType":"rowCount","rowCount":N}``."""
    return {"resultType": "rowCount", "rowCount": count}


def result_set(columns: Sequence[Mapping[str, Any]], num_rows: int,
               data: Sequence[Sequence[Any]] | None = None,
               handle: int | None = None) -> dict:
    """A ``resultSet`` result: ``columns`` are ``{"name", "dataType"}``; ``data`` the
    column-major JSON values of all rows (inline), or ``handle`` with no data (exasol.md 5.2:
    ``numRowsInMessage: 0``). With neither it is a metadata-only result set."""
    rs: dict[str, Any] = {"numColumns": len(columns), "numRows": num_rows,
                          "numRowsInMessage": 0, "columns": list(columns)}
    if handle is not None:
        rs["resultSetHandle"] = handle
    elif data is not None:
        rs["numRowsInMessage"] = num_rows
        rs["data"] = [list(col) for col in data]
    return {"resultType": "resultSet", "resultSet": rs}


def fetch_reply(data: Sequence[Sequence[Any]], num_rows: int) -> dict:
    """The fetch reply: ``responseData`` ``{numRows, data}`` (exasol.md 5.3)."""
    return ok_reply({"numRows": num_rows, "data": [list(col) for col in data]})


def rows_within(row_sizes: Iterable[int], num_bytes: int) -> int:
    """How many rows of the given JSON sizes fit in ``num_bytes``: always at least 1 while
    rows remain (exasol.md 5.3), then whole rows while the running total stays within."""
    count = total = 0
    for size in row_sizes:
        if count and total + size > num_bytes:
            break
        total += size
        count += 1
    return count
