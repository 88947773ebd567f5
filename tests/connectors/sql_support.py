"""The real databases SQL polling is tested against, and a throw-away table on them.

URLs come from LOTLINE_TEST_POSTGRES_URL and LOTLINE_TEST_MARIADB_URL; by default the servers on this
machine (`postgresql://postgres@127.0.0.1:5432/test`, `mysql+pymysql://root@127.0.0.1:3306/test`, which is
also what CI sets). An unreachable server skips its tests with the reason, or fails them when
LOTLINE_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from lotline.connectors.sql_poll import SqlPollConfig, SqlPollSource
from lotline.connectors.sql_poll_config import explain, normalise_url

DEFAULTS = {
    "postgres": ("LOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mariadb": ("LOTLINE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
SERVERS = list(DEFAULTS)
_reachable: dict[str, str | None] = {}  # server -> None (reachable) or why not


def server_url(server: str) -> str:
    """The server's URL, or skip (fail with LOTLINE_REQUIRE_SERVICES=1) when it does not answer."""
    variable, default = DEFAULTS[server]
    url = os.environ.get(variable) or default
    if server not in _reachable:
        engine = sa.create_engine(normalise_url(url), connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            _reachable[server] = None
        except Exception as exc:
            _reachable[server] = f"{server} at {url} is unreachable ({explain(exc)}); set {variable}"
        finally:
            engine.dispose()
    reason = _reachable[server]
    if reason is not None:
        if os.environ.get("LOTLINE_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


class Rows:
    """A fresh table `lotline_poll_<hex>` (id, wm, ts, body, payload) on one server; `drop()` removes it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(normalise_url(url))
        self.name = f"lotline_poll_{secrets.token_hex(5)}"
        self.meta = sa.MetaData()
        self.table = sa.Table(
            self.name,
            self.meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("wm", sa.BigInteger, nullable=False),
            sa.Column("ts", sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql"), nullable=False),
            sa.Column("body", sa.Text),
            sa.Column("payload", sa.LargeBinary),
        )
        self.meta.create_all(self.engine)
        self.next_id = 1

    def insert(
        self, wm: int, count: int = 1, *, ts: dt.datetime | None = None, key: int | None = None
    ) -> list[int]:
        """`count` rows with watermark `wm` (next ids, or `key`); their ids."""
        ids = [key] if key is not None else list(range(self.next_id, self.next_id + count))
        if key is None:
            self.next_id += count
        stamp = ts or dt.datetime(2026, 12, 1, 8, 0, 0) + dt.timedelta(seconds=wm)
        with self.engine.begin() as conn:
            conn.execute(
                self.table.insert(), [{"id": i, "wm": wm, "ts": stamp, "body": f"row {i}"} for i in ids]
            )
        return ids

    def insert_payloads(self, wm: int, payloads: Sequence[bytes]) -> None:
        with self.engine.begin() as conn:
            for payload in payloads:
                conn.execute(
                    self.table.insert().values(
                        id=self.next_id, wm=wm, ts=dt.datetime(2026, 12, 1), payload=payload
                    )
                )
                self.next_id += 1

    def drop(self) -> None:
        self.meta.drop_all(self.engine)
        self.engine.dispose()


def poller(rows: Rows, store: sa.Engine, **options: Any) -> SqlPollSource:
    config: dict[str, Any] = {
        "name": f"sql-{rows.name}",
        "url": rows.url,
        "table": rows.name,
        "watermark": "wm",
        "key": "id",
        "poll_interval": 0.05,
        **options,
    }
    return SqlPollSource(SqlPollConfig.model_validate(config), store)
