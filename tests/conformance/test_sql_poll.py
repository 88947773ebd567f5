"""SQL polling passes the Source conformance suite on the real PostgreSQL and MariaDB.

Messages are rows of an outbox-style table (id, wm, payload); the source delivers the `payload` column.
Each publish shares one watermark value among its rows, so the cases also exercise ties.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from lotline.connectors import Source
from lotline.connectors.sql_poll import SqlPollConfig, SqlPollSource
from lotline.store.engine import open_engine
from tests.conformance.harness import SourceHarness
from tests.conformance.source_suite import SourceConformance
from tests.connectors.sql_support import SERVERS, Rows, server_url


class SqlPollHarness(SourceHarness):
    source_name = "sql-outbox"
    timeout = 5.0

    def __init__(self, rows: Rows, store: sa.Engine) -> None:
        self.rows = rows
        self.store = store
        self.publishes = 0

    def config(self, url: str) -> SqlPollConfig:
        return SqlPollConfig(
            name=self.source_name,
            url=url,
            table=self.rows.name,
            watermark=["wm"],
            key=["id"],
            payload_column="payload",
            poll_interval=0.05,
            connect_timeout=2,
        )

    async def make_source(self) -> Source:
        return SqlPollSource(self.config(self.rows.url), self.store)

    async def publish(self, payloads: Sequence[bytes]) -> None:
        self.publishes += 1
        self.rows.insert_payloads(self.publishes, payloads)

    async def make_unreachable_source(self) -> Source:
        url = sa.make_url(self.rows.url).set(port=1).render_as_string(hide_password=False)
        return SqlPollSource(self.config(url), self.store)


class TestSqlPollSource(SourceConformance):
    kind = "sql"

    @pytest.fixture(params=SERVERS)
    def harness(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceHarness]:
        rows = Rows(server_url(request.param))
        store = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
        try:
            yield SqlPollHarness(rows, store)
        finally:
            store.dispose()
            rows.drop()
