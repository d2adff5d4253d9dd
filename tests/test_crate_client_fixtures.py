"""Byte fixtures captured from the official client (crate 2.3.0), replayed.

``tests/fixtures/crate_client_requests.json`` holds the HTTP requests ``crate.client`` sends
(written by ``tests/fixtures/capture_crate_client.py``). They are checked three ways:
the codec reads them, the mock server answers them as CrateDB would (values read back),
and a fresh capture from the installed client still gives the same requests.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import importlib.util
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dbapi_conformance.drivers.wire.cratedb import SQLRequest, parse_sql_request
from dbapi_conformance.mockservers.cratedb import MockServer

FIXTURES = Path(__file__).with_name("fixtures")
RECORDED = json.loads((FIXTURES / "crate_client_requests.json").read_text(encoding="utf-8"))


def _body(entry: dict) -> bytes:
    """The request body as the server reads it (gzip bodies decompressed)."""
    if "body_base64" in entry:
        return gzip.decompress(base64.b64decode(entry["body_base64"]))
    return entry["body"].encode()


def _posts(scenario: str) -> list[dict]:
    return [e for e in RECORDED["requests"]
            if e["scenario"] == scenario and e["method"] == "POST"]


def test_the_codec_reads_what_the_client_sends():
    (pyformat,) = _posts("pyformat_dict")
    assert parse_sql_request(_body(pyformat)) == SQLRequest("SELECT $2, $1, $2", [2, 1, 3])
    (typed,) = _posts("qmark_typed_values")
    args = parse_sql_request(_body(typed)).args
    # aware datetime -> epoch ms, date -> epoch ms at midnight UTC, Decimal/UUID -> text
    assert args == [1767323045678, 1767312000000, "12.34",
                    "12345678-1234-5678-1234-567812345678", {"k": [1, "x"]}, ["a", "b"]]
    (bulk,) = _posts("executemany")
    assert parse_sql_request(_body(bulk)).bulk_args == [[1, "a"], [2, "b"]]
    (big,) = _posts("gzip_large_statement")
    assert big["headers"]["Content-Encoding"] == "gzip"
    assert parse_sql_request(_body(big)).args == ["x" * 9000]


@pytest.fixture(scope="module")
def server():
    with MockServer(users={"alice": "secret"}, trust=["crate@127.0.0.1"]) as srv:
        yield srv


def _replay(server, entry: dict) -> tuple[int, dict]:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        body = base64.b64decode(entry["body_base64"]) if "body_base64" in entry else \
            entry["body"].encode()
        conn.request(entry["method"], entry["path"], body=body or None,
                     headers=entry["headers"])
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def _query(server, stmt: str) -> list:
    status, payload = _replay(server, {"method": "POST", "path": "/_sql?types=true",
                                       "headers": {"Content-Type": "application/json"},
                                       "body": json.dumps({"stmt": stmt})})
    assert status == 200, payload
    return payload["rows"]


def test_the_mock_answers_every_recorded_request(server):
    _query(server, "CREATE TABLE t (id INT, name TEXT, ts TIMESTAMP WITH TIME ZONE, "
                   "d TIMESTAMP WITHOUT TIME ZONE, n DOUBLE, u TEXT, o OBJECT, "
                   "tags ARRAY(TEXT))")
    answers = {}
    for entry in RECORDED["requests"]:
        status, payload = _replay(server, entry)
        assert status == 200, (entry["scenario"], payload)
        answers.setdefault(entry["scenario"], []).append(payload)
    assert answers["connect"][0]["version"]["number"] == server.version
    # "SELECT %(a)s, %(b)s, %(a)s" with a=1, b=2, rewritten to $2, $1, $2 over [2, 1, 3]
    assert answers["pyformat_dict"][1]["rows"] == [[1, 2, 1]]
    assert [r["rowcount"] for r in answers["executemany"][1]["results"]] == [1, 1]
    assert answers["credentials_schema_error_trace"][1]["rows"] == [[1]]
    assert answers["gzip_large_statement"][1]["rows"] == [["x" * 9000]]
    _query(server, "REFRESH TABLE t")
    assert _query(server, "SELECT ts, d, n, u, o, tags FROM t WHERE ts IS NOT NULL") == [
        [1767323045678, 1767312000000, 12.34, "12345678-1234-5678-1234-567812345678",
         {"k": [1, "x"]}, ["a", "b"]]]
    assert _query(server, "SELECT id, name FROM t WHERE id IS NOT NULL ORDER BY id") == [
        [1, "a"], [2, "b"]]


def _normalised(requests: list[dict]) -> list[dict]:
    # gzip output carries a timestamp: compare the decompressed bodies
    out = []
    for entry in requests:
        entry = dict(entry)
        entry["body"] = _body(entry).decode()
        entry.pop("body_base64", None)
        out.append(entry)
    return out


def test_the_installed_client_still_sends_the_recorded_requests():
    from importlib import metadata

    spec = importlib.util.spec_from_file_location(
        "capture_crate_client", FIXTURES / "capture_crate_client.py")
    capture_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(capture_module)
    assert _normalised(capture_module.capture()) == _normalised(RECORDED["requests"]), (
        f"crate {metadata.version('crate')} sends other requests than the recorded "
        f"{RECORDED['client']}: rerun tests/fixtures/capture_crate_client.py and review")
