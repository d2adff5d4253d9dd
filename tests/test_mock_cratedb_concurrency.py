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
