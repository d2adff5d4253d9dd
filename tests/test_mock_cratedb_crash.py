"""The CrateDB mock server driven by ``crash``, CrateDB's shell (PyPI ``crash``).

crash runs as a subprocess, as a person runs it: ``--hosts URL -c SQL``, statements on
stdin, ``--format``, ``--sysinfo``, ``-v`` and its backslash commands. Each test asserts
on what it prints: rows on stdout, the status lines (``CONNECT OK``, ``SELECT 1 row in
set``...) on stderr, and nothing else on stderr, because a real server gives crash's
start-up queries (``sys.cluster``, ``sys.checks``, ``sys.node_checks``, ``sys.nodes``,
``sys.shards``) no cause to warn. Reference values of sys.summits: cratedb.md 5.7.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys

import pytest

from dbapi_conformance.mockservers.cratedb import MockServer

# "SELECT 2 rows in set (0.004 sec)", "INSERT OK, 2 rows affected (0.009 sec)"
_DURATION = re.compile(r" \(\d+\.\d{3} sec\)$")


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture
def crash(server, tmp_path):
    """Run crash against the server: (exit code, stdout, stderr lines without durations)."""
    env = {k: v for k, v in os.environ.items() if k != "CRATEPW"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))

    def run(*args: str, stdin: str | None = None, url: str | None = None,
            extra_env: dict | None = None) -> tuple[int, str, list[str]]:
        cmd = [sys.executable, "-m", "crate.crash", "--hosts", url or server.url,
               "--config", str(tmp_path / "crash.cfg"), *args]
        proc = subprocess.run(cmd, input=stdin or "", capture_output=True, text=True,
                              timeout=60, env={**env, **(extra_env or {})})
        lines = [_DURATION.sub("", line) for line in proc.stderr.splitlines() if line]
        return proc.returncode, proc.stdout, lines

    return run


def test_command_prints_a_table_and_its_status(crash):
    rc, out, err = crash("-c", "SELECT 1 AS a, 'x' AS b, NULL AS c, true AS d")
    assert rc == 0
    assert out.splitlines() == [
        "+---+---+------+------+",
        "| a | b | c    | d    |",
        "+---+---+------+------+",
        "| 1 | x | NULL | TRUE |",
        "+---+---+------+------+",
    ]
    assert err == ["CONNECT OK", "SELECT 1 row in set"]


def test_json_format_of_summits(crash):
    rc, out, err = crash("--format", "json", "-c",
                         "SELECT mountain, height, coordinates, country FROM sys.summits "
                         "ORDER BY height DESC LIMIT 3")
    assert rc == 0 and err == ["CONNECT OK", "SELECT 3 rows in set"]
    assert json.loads(out) == [
        {"mountain": "Mont Blanc", "height": 4808, "coordinates": [6.86444, 45.8325],
         "country": "FR/IT"},
        {"mountain": "Monte Rosa", "height": 4634, "coordinates": [7.86694, 45.93694],
         "country": "CH"},
        {"mountain": "Dom", "height": 4545, "coordinates": [7.85889, 46.09389],
         "country": "CH"},
    ]


def test_csv_and_raw_formats(crash):
    sql = "SELECT country, count(*) FROM sys.summits GROUP BY country ORDER BY 2 DESC LIMIT 2"
    rc, out, err = crash("--format", "csv", "-c", sql)
    assert rc == 0 and err == ["CONNECT OK", "SELECT 2 rows in set"]
    assert list(csv.reader(io.StringIO(out.strip()))) == [
        ["country", "count(*)"], ["IT", "436"], ["AT", "401"]]
    rc, out, _ = crash("--format", "raw", "-c", sql)
    raw = json.loads(out)
    assert raw["cols"] == ["country", "count(*)"]
    assert raw["rows"] == [["IT", 436], ["AT", 401]]
    assert raw["rowcount"] == 2 and isinstance(raw["duration"], float)


def test_script_on_stdin_writes_and_reads_back(crash):
    script = """\
-- a table with an object column, written and changed the way crash users do it
CREATE TABLE crash_t (
  id INT PRIMARY KEY,
  name VARCHAR(10),
  o OBJECT(DYNAMIC) AS (x INT),
  tags ARRAY(TEXT)
) CLUSTERED INTO 2 SHARDS WITH (number_of_replicas = 0);
INSERT INTO crash_t (id, name, o, tags) VALUES (1, 'a', {x=1}, ['p', 'q']),
  (2, 'b', {x=2, y='z'}, []);
REFRESH TABLE crash_t;
SELECT id, name, o, o['x'], tags, tags[1] FROM crash_t ORDER BY id;
UPDATE crash_t SET o['x'] = 5 WHERE id = 1;
REFRESH TABLE crash_t;
SELECT o FROM crash_t WHERE id = 1;
SELECT count(*), sum(id), max(name) FROM crash_t;
DELETE FROM crash_t WHERE id = 2;
REFRESH TABLE crash_t;
SELECT id FROM crash_t;
DROP TABLE crash_t;
"""
    rc, out, err = crash("--format", "json_row", stdin=script)
    assert rc == 0
    assert err == [
        "CONNECT OK",
        "CREATE OK, 1 row affected",
        "INSERT OK, 2 rows affected",
        "REFRESH OK, 1 row affected",
        "SELECT 2 rows in set",
        "UPDATE OK, 1 row affected",
        "REFRESH OK, 1 row affected",
        "SELECT 1 row in set",
        "SELECT 1 row in set",
        "DELETE OK, 1 row affected",
        "REFRESH OK, 1 row affected",
        "SELECT 1 row in set",
        "DROP OK, 1 row affected",
    ]
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert rows == [
        {"id": 1, "name": "a", "o": {"x": 1}, "o['x']": 1, "tags": ["p", "q"],
         "tags[1]": "p"},
        {"id": 2, "name": "b", "o": {"x": 2, "y": "z"}, "o['x']": 2, "tags": [],
         "tags[1]": None},
        {"o": {"x": 5}},
        {"count(*)": 2, "sum(id)": 3, "max(name)": "b"},
        {"id": 1},
    ]


def test_errors_go_to_stderr_and_the_exit_code(crash):
    rc, out, err = crash("-c", "SELECT * FROM crash_nosuch")
    assert rc == 1 and out == ""
    assert err == ["CONNECT OK", "RelationUnknown[Relation 'crash_nosuch' unknown]"]


def test_verbose_start_up_runs_the_cluster_and_node_checks(crash, server):
    rc, out, err = crash("-v", "-c", "SELECT 1")
    assert rc == 0
    assert err == ["CONNECT OK", "CLUSTER CHECK OK", "TYPES OF NODE CHECK OK",
                   "SELECT 1 row in set"]
    # the server table: server_url | node_name | version | connected | message
    cells = [[c.strip() for c in line.strip("|").split("|")]
             for line in out.splitlines() if line.startswith("|")]
    assert cells[0] == ["server_url", "node_name", "version", "connected", "message"]
    assert cells[1] == [server.url, server.node_name, "6.4.1", "TRUE", "OK"]
    assert cells[2:] == [["1"], ["1"]]


def test_sysinfo_reads_cluster_and_node_facts(crash, server):
    rc, out, err = crash("--sysinfo")
    assert rc == 0
    assert err == ["CONNECT OK",
                   "For debugging purposes you can send above listed information to "
                   "support@crate.io"]
    facts = {}
    for line in out.splitlines():
        key, sep, value = line.partition("|")
        if sep:
            facts[key.strip()] = value.strip()
    assert facts["number_of_nodes"] == "1"
    assert facts["number_of_shards"] == "0"
    assert facts["name"] == server.node_name
    assert facts["crate_version"] == "6.4.1"
    assert int(facts["cpus"]) >= 1
    assert float(facts["total_heap_mb"]) > 0
    assert facts["jvm_info"].startswith('java version "')


def test_backslash_commands_list_tables_and_checks(crash):
    script = ("CREATE TABLE crash_dt (id INT) CLUSTERED INTO 3 SHARDS;\n"
              "\\dt\n\\check\n\\check nodes\nDROP TABLE crash_dt;\n")
    rc, out, err = crash("--format", "json_row", stdin=script)
    assert rc == 0
    assert err == ["CONNECT OK", "CREATE OK, 1 row affected", "SELECT 1 row in set",
                   "CLUSTER CHECK OK", "NODE CHECK OK", "NODE CHECK OK",
                   "DROP OK, 1 row affected"]
    tables = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert tables == [{"schema": "doc", "name": "crash_dt", "type": "BASE TABLE",
                       "primary_shards": 3, "replicas": "0-1"}]


def test_schema_option(crash):
    rc, out, err = crash("--schema", "crash_s", "--format", "json_row", "-c",
                         "SELECT current_schema, current_user")
    assert rc == 0 and err == ["CONNECT OK", "SELECT 1 row in set"]
    assert json.loads(out) == {"current_schema": "crash_s", "current_user": "crate"}


def test_username_with_the_password_from_cratepw(crash):
    with MockServer(users={"alice": "secret"}) as srv:
        rc, out, err = crash("--username", "alice", "--format", "json_row", "-c",
                             "SELECT current_user", url=srv.url,
                             extra_env={"CRATEPW": "secret"})
        assert rc == 0 and err == ["CONNECT OK", "SELECT 1 row in set"]
        assert json.loads(out) == {"current_user": "alice"}
        rc, out, err = crash("--username", "alice", "-c", "SELECT 1", url=srv.url,
                             extra_env={"CRATEPW": "wrong"})
        assert rc == 1 and out == ""
        assert err == ["401 Client Error: Unauthorized"]
