"""CrateDB mock statement handling under concurrency: no state shared between threads."""

from __future__ import annotations

import threading

from dbapi_conformance.mockservers.cratedb import statements

#: Statements of different shapes, each tokenized alone first (the expected answer).
TEXTS = [f"SELECT id, name, {i} FROM t_{i} WHERE id = ? AND name = 'x{i}' ORDER BY id"
         for i in range(8)] + [f"SHOW TABLES; -- {i}" for i in range(4)] + [
         f"INSERT INTO t (a, b) VALUES ($1, 'it''s {i}')" for i in range(4)]


def _signature(stmt: statements.Statement) -> tuple:
    return stmt.text, [(t.kind, t.value, t.start, t.end) for t in stmt.toks]


def test_split_from_many_threads_gives_each_its_own_tokens():
    expected = {text: _signature(statements.split(text)) for text in TEXTS}
    wrong: list[str] = []
    start = threading.Barrier(16)

    def work(offset: int) -> None:
        start.wait()
        for n in range(400):
            text = TEXTS[(offset + n) % len(TEXTS)]
            try:
                got = _signature(statements.split(text))
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                wrong.append(f"{text!r}: {type(exc).__name__}: {exc}")
                continue
            if got != expected[text]:
                wrong.append(f"{text!r}: tokens of another statement")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "split() hung"
    assert wrong == [], f"{len(wrong)} of {16 * 400} concurrent split() calls: {wrong[:3]}"


def test_many_official_clients_at_once_get_their_own_answers():
    """16 crate clients, each on its own connection, run statements of different shapes at
    the same time; every answer must be the one for that client's own statement."""
    from crate import client

    from dbapi_conformance.mockservers.cratedb.server import MockServer

    clients, rounds = 16, 40
    with MockServer(port=0) as server:
        setup = client.connect(server.url).cursor()
        setup.execute("CREATE TABLE conc (id INTEGER PRIMARY KEY, obj OBJECT(DYNAMIC))")
        setup.execute("INSERT INTO conc (id, obj) VALUES " + ", ".join(
            f"({i}, {{n=0}})" for i in range(clients)))
        setup.execute("REFRESH TABLE conc")
        wrong: list[str] = []
        start = threading.Barrier(clients)

        def work(me: int) -> None:
            cur = client.connect(server.url, timeout=30).cursor()
            start.wait()
            for n in range(rounds):
                try:
                    cur.execute("SELECT ?,$2::int, 'me''s'", (me, str(n)))
                    got = cur.fetchall()
                    if got != [[me, n, "me's"]]:
                        wrong.append(f"client {me} round {n}: {got}")
                    cur.execute("UPDATE conc SET obj['n'] = ? WHERE id = ?", (n, me))
                    cur.execute("SELECT obj['n'] FROM conc WHERE id = ?", (me,))
                    got = cur.fetchall()
                    if got != [[n]]:
                        wrong.append(f"client {me} round {n}: read back {got}")
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    wrong.append(f"client {me} round {n}: {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a client hung"
        assert wrong == [], f"{len(wrong)} wrong answers: {wrong[:3]}"
        setup.execute("SELECT count(*) FROM conc WHERE obj['n'] = ?", (rounds - 1,))
        assert setup.fetchall() == [[clients]]
