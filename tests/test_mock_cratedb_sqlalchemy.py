"""The CrateDB mock server driven by SQLAlchemy with ``sqlalchemy-cratedb`` and by pandas.

The dialect takes ``crate://host:port`` (``?schema=`` sets the connection's default
schema: the ``Default-Schema`` header) and talks through the official client. CrateDB
shows writes to non-primary-key reads only after a refresh, so the tests say
``REFRESH TABLE`` where an application on a real server must. Every test asserts on the
values that come back: ORM objects, reflected columns, DataFrames.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import uuid

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy_cratedb import FloatVector, ObjectArray, ObjectType, insert_bulk

from dbapi_conformance.mockservers.cratedb import MockServer

_names = (f"sa_t{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


def _url(server, query: str = "") -> str:
    host, port = server.address
    return f"crate://{host}:{port}{query}"


@pytest.fixture(scope="module")
def engine(server):
    eng = sa.create_engine(_url(server))
    yield eng
    eng.dispose()


def _refresh(conn, name: str) -> None:
    conn.exec_driver_sql(f"REFRESH TABLE {name}")


def _model(table: str):
    class Base(DeclarativeBase):
        pass

    class Item(Base):
        __tablename__ = table
        id: Mapped[uuid.UUID] = mapped_column(sa.UUID, primary_key=True, default=uuid.uuid4)
        name: Mapped[str] = mapped_column(sa.VARCHAR(20))
        code: Mapped[str] = mapped_column(sa.CHAR(3))
        price: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(10, 2))
        qty: Mapped[int] = mapped_column(sa.Integer)
        big: Mapped[int] = mapped_column(sa.BigInteger)
        ratio: Mapped[float] = mapped_column(sa.Double)
        ok: Mapped[bool] = mapped_column(sa.Boolean)
        created: Mapped[dt.datetime] = mapped_column(sa.DateTime)
        day: Mapped[dt.date] = mapped_column(sa.Date)
        attrs = mapped_column(ObjectType)
        tags = mapped_column(sa.ARRAY(sa.String))
        emb = mapped_column(FloatVector(3))
        # the generic Uuid: CHAR(32) of hex digits, as on any dialect without native UUIDs
        ref: Mapped[uuid.UUID] = mapped_column(sa.Uuid, default=uuid.uuid4)

    return Base, Item


@pytest.fixture
def model(engine):
    Base, Item = _model(next(_names))
    Base.metadata.create_all(engine)
    yield Item
    Base.metadata.drop_all(engine)


def _apple(Item):
    return Item(name="apple", code="APL", price=decimal.Decimal("1.25"), qty=3, big=2**40,
                ratio=0.5, ok=True, created=dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
                day=dt.date(2024, 5, 6), attrs={"color": "red", "n": 1}, tags=["x", "y"],
                emb=[0.25, 0.5, 1.0])


def _pear(Item):
    return Item(name="pear", code="PE", price=decimal.Decimal("2.5"), qty=1, big=-1,
                ratio=1.5, ok=False, created=dt.datetime(2024, 1, 3), day=dt.date(2024, 5, 7),
                attrs={"color": "green"}, tags=[], emb=[1, 2, 3])


def test_create_all_makes_the_table_with_crate_types(engine, model):
    assert sa.inspect(engine).get_table_names() == [model.__tablename__]
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position", (model.__tablename__,)).all()
    assert rows == [
        ("id", "uuid"), ("name", "text"), ("code", "character"), ("price", "numeric"),
        ("qty", "integer"), ("big", "bigint"), ("ratio", "double precision"),
        ("ok", "boolean"), ("created", "timestamp without time zone"),
        ("day", "timestamp without time zone"), ("attrs", "object"), ("tags", "text_array"),
        ("emb", "float_vector"), ("ref", "character")]


def test_orm_insert_query_update_object_key_and_delete(engine, model):
    Item = model
    with Session(engine) as s:
        s.add_all([_apple(Item), _pear(Item)])
        s.commit()
        _refresh(s.connection(), Item.__tablename__)
        apple, pear = s.scalars(sa.select(Item).order_by(Item.name)).all()
        assert isinstance(apple.id, uuid.UUID) and isinstance(apple.ref, uuid.UUID)
        assert s.scalar(sa.select(Item.name).where(Item.ref == pear.ref)) == "pear"
        assert (apple.name, apple.code, apple.price, apple.qty, apple.big, apple.ratio,
                apple.ok) == ("apple", "APL", decimal.Decimal("1.25"), 3, 2**40, 0.5, True)
        assert apple.created == dt.datetime(2024, 1, 2, 3, 4, 5, 678000)
        assert apple.day == dt.date(2024, 5, 6)
        assert apple.attrs == {"color": "red", "n": 1}
        assert apple.tags == ["x", "y"]
        assert list(apple.emb) == [0.25, 0.5, 1.0]
        # CHAR(3) is blank padded; NUMERIC(10, 2) keeps two decimals
        assert (pear.code, pear.price, pear.big, pear.ok, pear.tags) == (
            "PE ", decimal.Decimal("2.50"), -1, False, [])
        assert s.scalars(sa.select(Item.name).where(Item.code == "PE")).all() == ["pear"]

        # ObjectType tracks key changes: UPDATE t SET attrs['color'] = ?, attrs['size'] = ?
        apple.attrs["color"] = "yellow"
        apple.attrs["size"] = 7
        pear.qty = 10
        s.commit()
        _refresh(s.connection(), Item.__tablename__)
        s.expire_all()
        assert s.get(Item, apple.id).attrs == {"color": "yellow", "n": 1, "size": 7}
        assert s.get(Item, pear.id).qty == 10

        found = s.scalars(sa.select(Item.name).where(Item.attrs["color"] == "yellow")).all()
        assert found == ["apple"]
        assert s.scalar(sa.select(sa.func.sum(Item.qty))) == 13

        s.delete(pear)
        s.commit()
        _refresh(s.connection(), Item.__tablename__)
        assert s.scalars(sa.select(Item.name)).all() == ["apple"]


def test_core_bulk_update_and_delete_by_filter(engine, model):
    Item = model
    with Session(engine) as s:
        s.add_all([_apple(Item), _pear(Item)])
        s.commit()
    with engine.begin() as conn:
        _refresh(conn, Item.__tablename__)
        result = conn.execute(sa.update(Item).where(Item.qty < 5).values(ok=False))
        assert result.rowcount == 2
        _refresh(conn, Item.__tablename__)
        assert conn.execute(sa.select(sa.func.count()).where(Item.ok.is_(False))
                            .select_from(Item)).scalar() == 2
        assert conn.execute(sa.delete(Item).where(Item.name == "pear")).rowcount == 1
        _refresh(conn, Item.__tablename__)
        assert conn.execute(sa.select(Item.code)).scalars().all() == ["APL"]


def test_reflection_of_the_created_table(engine, model):
    insp = sa.inspect(engine)
    columns = {c["name"]: c["type"] for c in insp.get_columns(model.__tablename__)}
    assert list(columns) == ["id", "name", "code", "price", "qty", "big", "ratio", "ok",
                             "created", "day", "attrs", "tags", "emb", "ref"]
    assert isinstance(columns["id"], sa.UUID)
    assert isinstance(columns["code"], sa.CHAR) and columns["code"].length == 3
    assert isinstance(columns["name"], sa.VARCHAR) and columns["name"].length == 20
    assert isinstance(columns["price"], sa.NUMERIC)
    assert isinstance(columns["qty"], sa.INTEGER)
    assert isinstance(columns["big"], sa.BIGINT)
    assert isinstance(columns["ratio"], sa.DOUBLE_PRECISION)
    assert isinstance(columns["ok"], sa.BOOLEAN)
    assert isinstance(columns["created"], sa.TIMESTAMP)
    assert isinstance(columns["tags"], sa.ARRAY)
    assert isinstance(columns["tags"].item_type, sa.VARCHAR)
    assert isinstance(columns["emb"], FloatVector)
    assert isinstance(columns["ref"], sa.CHAR) and columns["ref"].length == 32
    assert insp.get_pk_constraint(model.__tablename__)["constrained_columns"] == ["id"]
    assert "doc" in insp.get_schema_names()
    assert insp.has_table(model.__tablename__)
    assert not insp.has_table("sa_no_such_table")


def test_schema_in_the_url_is_the_default_schema(server):
    eng = sa.create_engine(_url(server, "?schema=sa_other"))
    meta = sa.MetaData()
    t = sa.Table("sa_in_schema", meta, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("o", ObjectArray))
    try:
        meta.create_all(eng)
        with eng.begin() as conn:
            assert conn.exec_driver_sql("SELECT current_schema").scalar() == "sa_other"
            conn.execute(t.insert(), [{"id": 1, "o": [{"a": 1}, {"a": 2}]}])
            _refresh(conn, "sa_in_schema")
            assert conn.execute(sa.select(t.c.o)).scalar() == [{"a": 1}, {"a": 2}]
            table = conn.exec_driver_sql(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_name = 'sa_in_schema'").one()
        assert tuple(table) == ("sa_other", "sa_in_schema")
        assert sa.inspect(eng).get_table_names() == ["sa_in_schema"]
    finally:
        meta.drop_all(eng)
        eng.dispose()


def _frame(n: int) -> pd.DataFrame:
    i = np.arange(n)
    return pd.DataFrame({
        "id": i.astype("int64"),
        "name": [f"name-{k}" for k in i],
        "x": i / 8.0,
        "flag": i % 3 == 0,
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(i, unit="min"),
        "maybe": np.where(i % 5 == 0, np.nan, i * 0.5),
    })


def test_pandas_to_sql_with_the_bulk_method_and_read_sql(engine):
    name = next(_names)
    df = _frame(1000)
    written = df.to_sql(name, engine, index=False, chunksize=250, method=insert_bulk)
    assert written is None or written == 1000
    try:
        with engine.connect() as conn:
            _refresh(conn, name)
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar() == 1000
        back = pd.read_sql(f"SELECT * FROM {name} ORDER BY id", engine)
        # a plain query has no column types: timestamps stay epoch milliseconds
        assert list(back.columns) == list(df.columns)
        assert back["ts"].tolist() == df["ts"].dt.as_unit("ms").astype("int64").tolist()
        assert back["ts"].dtype == np.int64
        back["ts"] = pd.to_datetime(back["ts"], unit="ms").astype(df["ts"].dtype)
        pd.testing.assert_frame_equal(back, df)  # values and dtypes

        # read_sql_table reflects the column types, so timestamps come back as datetimes
        table = pd.read_sql_table(name, engine).sort_values("id", ignore_index=True)
        assert table["ts"].tolist() == df["ts"].tolist()
        assert table["maybe"].isna().sum() == 200
        chunks = list(pd.read_sql(f"SELECT id FROM {name} ORDER BY id", engine,
                                  chunksize=400))
        assert [len(c) for c in chunks] == [400, 400, 200]
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {name}")


def test_pandas_to_sql_appends_through_the_dialect_multi_row_insert(engine):
    name = next(_names)
    df = _frame(30)
    df.to_sql(name, engine, index=False, method=insert_bulk)
    df.to_sql(name, engine, index=False, if_exists="append", method="multi", chunksize=10)
    try:
        with engine.connect() as conn:
            _refresh(conn, name)
            rows = conn.exec_driver_sql(
                f"SELECT id, count(*) FROM {name} GROUP BY id ORDER BY id").all()
        assert rows == [(k, 2) for k in range(30)]
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {name}")


def test_pandas_round_trip_of_aware_timestamps_objects_and_missing_values(engine):
    name = next(_names)
    df = pd.DataFrame({
        "id": [1, 2, 3],
        "tz": pd.to_datetime(["2024-01-01T00:00:00Z", "2024-06-01T12:30:00.250Z", None],
                             format="ISO8601", utc=True),
        "doc": [{"a": 1}, {"b": [1, 2], "c": {"d": "e"}}, None],
        "s": ["x", None, "z"],
        "n": pd.array([1, None, 3], dtype="Int64"),
    })
    df.to_sql(name, engine, index=False, method=insert_bulk, dtype={"doc": ObjectType})
    try:
        with engine.connect() as conn:
            _refresh(conn, name)
            types = conn.exec_driver_sql(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position", (name,)).all()
        assert types == [("id", "bigint"), ("tz", "timestamp with time zone"),
                         ("doc", "object"), ("s", "text"), ("n", "bigint")]
        back = pd.read_sql_table(name, engine).sort_values("id", ignore_index=True)
        assert back["tz"].tolist()[:2] == df["tz"].tolist()[:2]
        assert back["tz"].isna().tolist() == [False, False, True]
        assert back["doc"].tolist() == df["doc"].tolist()
        assert back["s"].tolist()[::2] == ["x", "z"] and pd.isna(back["s"][1])
        assert back["n"].tolist()[::2] == [1, 3] and pd.isna(back["n"][1])
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {name}")
