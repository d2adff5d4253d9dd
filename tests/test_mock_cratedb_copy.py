"""COPY FROM / COPY TO DIRECTORY on the CrateDB mock, through the official client.

Expected values: crate/crate ``docs/sql/statements/copy-from.rst`` (RETURN SUMMARY columns
node, uri, success_count, error_count, errors), ``docs/general/dml.rst``,
``CopyIntegrationTest`` (the four-file summary, failed URIs, CSV options),
``CopyFromFailFastITest``, ``UpsertResults`` (errors keyed by message with count and
line_numbers), ``CopyToPlan`` / ``ProjectionToProjectorVisitor`` (``<table>_<shard>_.json``).
"""

from __future__ import annotations

import gzip
import itertools
import json

import pytest
from crate import client
from crate.client import exceptions as crate_exc

from dbapi_conformance.mockservers.cratedb import MockServer

_names = (f"cp{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def server():
    with MockServer(users={"alice": "secret"}, trust=["crate@127.0.0.1"]) as srv:
        yield srv


@pytest.fixture
def cur(server):
    conn = client.connect(server.url, timeout=10)
    yield conn.cursor()
    conn.close()


def _lines(path, lines) -> str:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path.as_uri()


def _table(cur, ddl: str = "(id INT PRIMARY KEY, ts TIMESTAMP WITH TIME ZONE)") -> str:
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} {ddl} CLUSTERED INTO 1 SHARDS")
    return name


def test_copy_from_json_lines_counts_the_rows_written(cur, tmp_path):
    name = _table(cur, "(id INT PRIMARY KEY, quote TEXT, ts TIMESTAMP, o OBJECT)")
    uri = _lines(tmp_path / "quotes.json", [
        '{"id": 1, "quote": "Don\'t panic", "ts": 0, "o": {"a": 1}}',
        "",
        '{"id": 2, "quote": "Ford", "ts": "2020-01-01T00:00:00"}',
        '{"quote": "no id", "id": 3}'])
    cur.execute(f"COPY {name} FROM ?", [uri])
    assert cur.rowcount == 3
    cur.execute(f"SELECT id, quote, ts, o FROM {name} ORDER BY id")
    assert cur.fetchall() == [[1, "Don't panic", 0, {"a": 1}],
                              [2, "Ford", 1577836800000, None], [3, "no id", None, None]]
    cur.execute(f"COPY {name} FROM '{tmp_path}/quotes.json'")  # a path: file:// is implied
    assert cur.rowcount == 0  # all three are duplicates now: skipped without an error


def test_return_summary_reports_each_file_and_its_errors(cur, tmp_path):
    name = _table(cur)
    target = tmp_path / "target"
    target.mkdir()
    _lines(target / "data1.json", ['{"id": 1, "ts": 1496275200000}',
                                   '{"id": 2, "ts": 1496275300000}'])
    _lines(target / "data2.json", ['{"id": 2, "ts": 1496275200000}',
                                   '{"id": 3, "ts": 1496275300000}'])
    _lines(target / "data3.json", ['{"id": 4, "ts": 1496275200000}', '{"id": 5, "ts": "May"}',
                                   '{"id": 7, "ts": "Juli"}'])
    _lines(target / "data4.json", ["foo", '{"id": 6, "ts": 1496275200000}'])
    cur.execute(f"COPY {name} FROM ? WITH (shared = true) RETURN SUMMARY",
                [target.as_uri() + "/*"])
    assert [d[0] for d in cur.description] == [
        "node", "uri", "success_count", "error_count", "errors"]
    rows = cur.fetchall()
    assert cur.rowcount == 4
    cur.execute("SELECT id, name FROM sys.nodes")
    node_id, node_name = cur.fetchone()
    assert all(r[0] == {"id": node_id, "name": node_name} for r in rows)
    assert [r[1:] for r in rows] == [
        [(target / "data1.json").as_uri(), 2, 0, {}],
        [(target / "data2.json").as_uri(), 1, 1, {
            "A document with the same primary key exists already": {
                "count": 1, "line_numbers": [1]}}],
        [(target / "data3.json").as_uri(), 1, 2, {
            "Cannot cast value `May` to type `timestamp with time zone`": {
                "count": 1, "line_numbers": [2]},
            "Cannot cast value `Juli` to type `timestamp with time zone`": {
                "count": 1, "line_numbers": [3]}}],
        [(target / "data4.json").as_uri(), 1, 1, {
            "JSON parser error: Failed to parse content to map": {
                "count": 1, "line_numbers": [1]}}]]
    cur.execute(f"SELECT id FROM {name} ORDER BY id")
    assert cur.fetchall() == [[1], [2], [3], [4], [6]]
    raw = cur.connection.client.sql(f"COPY {name} FROM ? RETURN SUMMARY",
                                    [(target / "data1.json").as_uri()])
    assert raw["col_types"] == [12, 4, 10, 10, 12]  # OBJECT, TEXT, BIGINT, BIGINT, OBJECT
    assert raw["rows"][0][2:4] == [0, 2]


def test_summary_of_uris_that_cannot_be_read(cur, tmp_path):
    name = _table(cur)
    missing = tmp_path / "nonexistingfile.json"
    cur.execute(f"COPY {name} FROM ? RETURN SUMMARY", [missing.as_uri()])
    (row,) = cur.fetchall()
    assert row[1:] == [missing.as_uri(), None, None, {
        f"{missing} (No such file or directory)": {"count": 1, "line_numbers": []}}]
    glob = tmp_path.as_uri() + "/*.json"
    cur.execute(f"COPY {name} FROM ? RETURN SUMMARY", [glob])
    (row,) = cur.fetchall()
    assert row[1:] == [glob, None, None, {
        f"Cannot find any URI matching: {glob}": {"count": 1, "line_numbers": []}}]
    cur.execute(f"COPY {name} FROM ?", [missing.as_uri()])
    assert cur.rowcount == 0


def test_globs_match_as_java_globs_do(cur, tmp_path):
    name = _table(cur, "(id INT PRIMARY KEY)")
    for rel, n in (("1.json", 1), ("foo/2.json", 2), ("bar/3.json", 3), ("foo/x/4.json", 4),
                   ("bar/5.js", 5), ("bar/6.json", 6)):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        _lines(tmp_path / rel, [json.dumps({"id": n})])
    cur.execute(f"COPY {name} FROM ?", [tmp_path.as_uri() + "/*/*.json"])
    assert cur.rowcount == 3
    cur.execute(f"SELECT id FROM {name} ORDER BY id")
    assert cur.fetchall() == [[2], [3], [6]]
    cur.execute(f"COPY {name} FROM ?", [tmp_path.as_uri() + "/{1,foo/x/4}.json"])
    assert cur.rowcount == 0  # only a URI with * is a glob
    cur.execute(f"COPY {name} FROM ?", [[tmp_path.as_uri() + "/*.json",
                                         tmp_path.as_uri() + "/foo/*/?.json"]])
    assert cur.rowcount == 2
    cur.execute(f"SELECT id FROM {name} ORDER BY id")
    assert cur.fetchall() == [[1], [2], [3], [4], [6]]


def test_csv_with_header_and_options(cur, tmp_path):
    name = _table(cur, "(id INT PRIMARY KEY, quote TEXT, comment TEXT)")
    uri = _lines(tmp_path / "quotes.ext", [
        "id,quote,comment", '1,"Don\'t panic", good one', '2, "Ford, you\'re a penguin" ,',
        '3,"say ""hi""",'])
    cur.execute(f"COPY {name} FROM ? WITH (format = 'csv') RETURN SUMMARY", [uri])
    assert [r[2:4] for r in cur.fetchall()] == [[3, 0]]
    cur.execute(f"SELECT id, quote, comment FROM {name} ORDER BY id")
    assert cur.fetchall() == [[1, "Don't panic", "good one"],
                              [2, "Ford, you're a penguin", ""], [3, 'say "hi"', ""]]
    other = _table(cur, "(id INT PRIMARY KEY, quote TEXT, comment TEXT)")
    cur.execute(f"COPY {other} (id, quote) FROM ? WITH (format = 'csv', "
                "empty_string_as_null = true)", [uri])
    cur.execute(f"SELECT id, quote, comment FROM {other} ORDER BY id")
    assert cur.fetchall()[1] == [2, "Ford, you're a penguin", None]
    plain = _table(cur, "(id INT PRIMARY KEY, quote TEXT)")
    uri = _lines(tmp_path / "plain.csv", ["1;a;extra", "2;b", "3"])  # .csv: CSV implied
    cur.execute(f"COPY {plain} FROM ? WITH (header = false, delimiter = ';') RETURN SUMMARY",
                [uri])
    (row,) = cur.fetchall()
    assert row[2:] == [2, 1, {"Expected 2 values, encountered 1 at line 3. This is not "
                              "allowed when there is no header provided)": {
                                  "count": 1, "line_numbers": [3]}}]
    cur.execute(f"SELECT * FROM {plain} ORDER BY id")
    assert cur.fetchall() == [[1, "a"], [2, "b"]]


def test_gzip_files_and_bulk_batches_keep_row_errors(cur, tmp_path):
    name = _table(cur, "(id INT PRIMARY KEY, v INT NOT NULL)")
    path = tmp_path / "rows.json.gz"
    rows = [{"id": i % 7, "v": i} for i in range(20)] + [{"id": 100, "v": None},
                                                          {"id": None, "v": 1},
                                                          {"id": 101, "v": 2, "x": 1}]
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    cur.execute(f"COPY {name} FROM ? WITH (bulk_size = 3) RETURN SUMMARY", [path.as_uri()])
    (row,) = cur.fetchall()
    assert row[2:] == [7, 16, {
        "A document with the same primary key exists already": {
            "count": 13, "line_numbers": list(range(8, 21))},
        '"v" must not be null': {"count": 1, "line_numbers": [21]},
        "A primary key value must not be NULL": {"count": 1, "line_numbers": [22]},
        f"Cannot add column `x` to table `doc.{name}` with column policy `strict`": {
            "count": 1, "line_numbers": [23]}}]
    cur.execute(f"SELECT id, v, _version FROM {name} ORDER BY id")
    assert cur.fetchall() == [[i, i, 1] for i in range(7)]
    cur.execute(f"COPY {name} FROM ? WITH (overwrite_duplicates = true, bulk_size = 4)",
                [path.as_uri()])
    assert cur.rowcount == 20
    cur.execute(f"SELECT id, v FROM {name} ORDER BY id")
    assert cur.fetchall() == [[i, max(v for v in range(20) if v % 7 == i)] for i in range(7)]


def test_sized_text_columns_are_checked_per_row(cur, tmp_path):
    name = _table(cur, "(id INT PRIMARY KEY, code VARCHAR(3), c CHARACTER(3))")
    uri = _lines(tmp_path / "codes.json", ['{"id": 1, "code": "abc", "c": "x"}',
                                           '{"id": 2, "code": "abcd", "c": "y"}'])
    cur.execute(f"COPY {name} FROM ? RETURN SUMMARY", [uri])
    assert cur.fetchall()[0][2:] == [1, 1, {
        "'abcd' is too long for the text type of length: 3": {
            "count": 1, "line_numbers": [2]}}]
    cur.execute(f"SELECT id, code, c FROM {name}")
    assert cur.fetchall() == [[1, "abc", "x  "]]


def test_fail_fast_and_option_errors(cur, tmp_path):
    name = _table(cur, "(a INT)")
    uri = _lines(tmp_path / "data1.json", ['{"a": 987654321}', '{"a": "fail here"}',
                                           '{"a": 123456789}'])
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"COPY {name} FROM ? WITH (bulk_size = 1, fail_fast = true)", [uri])
    assert info.value.message == ("JobKilledException[Job killed. Cannot cast value "
                                  "`fail here` to type `integer`]")
    cases = [
        ("WITH (skip = 1)", "SQLParseException[Setting 'skip' is not supported]"),
        ("WITH (format = 'xml')", "SQLParseException[Unsupported setting value: xml. "
                                  "Supported values are: csv, json]"),
        ("WITH (wait_for_completion = false) RETURN SUMMARY",
         "UnsupportedFeatureException[Cannot use RETURN SUMMARY with wait_for_completion=false."
         " Either set wait_for_completion=true, or remove RETURN SUMMARY]"),
    ]
    for clause, message in cases:
        with pytest.raises(crate_exc.ProgrammingError) as info:
            cur.execute(f"COPY {name} FROM ? {clause}", [uri])
        assert info.value.message == message
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"COPY {name} FROM 'data.json'")
    assert info.value.message == "SQLParseException[relative fileURIs are not allowed]"
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute("COPY sys.summits FROM ?", [uri])
    assert info.value.message == ('OperationOnInaccessibleRelationException[The relation '
                                  '"sys.summits" doesn\'t support or allow INSERT operations]')


def test_only_the_superuser_reads_local_files(server, cur, tmp_path):
    name = _table(cur, "(a INT)")
    uri = _lines(tmp_path / "a.json", ['{"a": 1}'])
    with client.connect(server.url, username="alice", password="secret", timeout=10) as conn:
        with pytest.raises(crate_exc.ProgrammingError) as info:
            conn.cursor().execute(f"COPY {name} FROM ?", [uri])
    assert info.value.message == ("UnauthorizedException[Only a superuser can read from the "
                                  "local file system]")


def test_copy_to_directory_writes_a_file_per_shard_and_reads_back(cur, tmp_path):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, quote TEXT, ts TIMESTAMP, "
                "o OBJECT) CLUSTERED INTO 2 SHARDS")
    cur.execute(f"INSERT INTO {name} (id, quote, ts, o) VALUES (1, 'a', 0, {{x = 1}}), "
                "(2, 'b', NULL, NULL), (3, 'c', 1000, {})")
    out = tmp_path / "out"
    out.mkdir()
    cur.execute(f"COPY {name} TO DIRECTORY ?", [str(out)])
    assert cur.rowcount == 3
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"{name}_0_.json", f"{name}_1_.json"]
    exported = [json.loads(line) for f in files for line in (out / f).read_text().splitlines()]
    assert sorted(exported, key=lambda r: r["id"]) == [
        {"id": 1, "quote": "a", "ts": 0, "o": {"x": 1}},
        {"id": 2, "quote": "b", "ts": None, "o": None},
        {"id": 3, "quote": "c", "ts": 1000, "o": {}}]
    copy = _table(cur, "(id INT PRIMARY KEY, quote TEXT, ts TIMESTAMP, o OBJECT)")
    cur.execute(f"COPY {copy} FROM ?", [out.as_uri() + "/*"])
    assert cur.rowcount == 3
    cur.execute(f"SELECT * FROM {copy} ORDER BY id")
    assert cur.fetchall() == [[1, "a", 0, {"x": 1}], [2, "b", None, None], [3, "c", 1000, {}]]
    arrays = tmp_path / "arrays"
    arrays.mkdir()
    cur.execute(f"COPY {name} (quote, id) WHERE id > 1 TO DIRECTORY ? "
                "WITH (compression = 'gzip')", [arrays.as_uri()])
    assert cur.rowcount == 2
    lines = [json.loads(line) for f in sorted(arrays.iterdir())
             for line in gzip.decompress(f.read_bytes()).decode().splitlines()]
    assert sorted(lines) == [["b", 2], ["c", 3]]
    assert sorted(p.name for p in arrays.iterdir()) == [f"{name}_0_.json.gz",
                                                        f"{name}_1_.json.gz"]
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"COPY {name} TO DIRECTORY ? WITH (format = 'json_array')", [str(out)])
    assert info.value.message == ("UnsupportedFeatureException[Output format not supported "
                                  "without specifying columns.]")
