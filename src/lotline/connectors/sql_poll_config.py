"""The options of SQL polling (`lotline.connectors.sql_poll`), and the database URL and error helpers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import Field, field_validator, model_validator
from sqlalchemy.engine import make_url

from lotline.connectors.base import ConnectorConfig
from lotline.connectors.registry import require

DRIVERS = {"postgresql": ("psycopg", "postgres"), "mysql": ("pymysql", "mariadb")}


def normalise_url(url: str) -> str:
    """postgres(ql):// -> psycopg 3, mysql:// and mariadb:// -> PyMySQL; anything else unchanged."""
    for prefix, driver in (
        ("postgres://", "postgresql+psycopg://"),
        ("postgresql://", "postgresql+psycopg://"),
        ("mysql://", "mysql+pymysql://"),
        ("mariadb://", "mysql+pymysql://"),
    ):
        if url.startswith(prefix):
            return driver + url[len(prefix) :]
    return url


class SqlPollConfig(ConnectorConfig):
    """Poll a table or query of a relational database (PostgreSQL: extra `postgres`; MariaDB/MySQL: extra
    `mariadb`) for rows after the last one read, in (watermark, key) order."""

    name: str = Field(
        min_length=1,
        description="The source name stamped on every message, and the key of its stored position: keep "
        "it fixed (a new name starts from the first row).",
    )
    url: str = Field(
        description="SQLAlchemy database URL, e.g. postgresql://user@host/db or mysql+pymysql://user@host/db "
        "(postgres:// and mariadb:// are accepted). Put the password in an environment override."
    )
    table: str | None = Field(
        None, description="Table to poll (`name` or `schema.name`). Give this or `query`."
    )
    query: str | None = Field(
        None,
        description="A SELECT to poll instead of a table; it is wrapped as a subquery, so its columns must "
        "include the watermark and key columns. No bind parameters.",
    )
    watermark: list[str] = Field(
        min_length=1,
        description="Column(s) that grow with new rows (an id, a created-at time); NOT NULL, indexed with "
        "the key column(s).",
    )
    key: list[str] = Field(
        default_factory=list,
        description="Column(s) that make a row unique among rows sharing a watermark value (the primary "
        "key); they order ties and make the message id. Not needed when the watermark is unique.",
    )
    payload_column: str | None = Field(
        None,
        description="Deliver this column's value as the payload (binary and text as they are), e.g. the "
        "message column of an outbox table; by default the whole row as a JSON object.",
    )
    content_type: str = Field(
        "application/json", description="The content-type header of every message (what the payload is)."
    )
    batch_size: int = Field(500, ge=1, le=100_000, description="Rows read per query.")
    poll_interval: float = Field(5.0, gt=0, description="Seconds between polls once caught up.")
    lookback: float = Field(
        0,
        ge=0,
        description="Also re-scan this far behind the position each time the source is caught up (seconds "
        "for a time watermark, units for a numeric one) for rows committed late; rows already read are "
        "recognised by key. 0: off.",
    )
    versioned: bool = Field(
        False,
        description="Rows are updated in place (the watermark is a modification time): each version is a "
        "new message, id `<table>/<key>@<watermark>` instead of `<table>/<key>`.",
    )
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to wait for the database to answer.")

    @field_validator("watermark", "key", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_source(self) -> SqlPollConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of `table` or `query`")
        return self

    @property
    def columns(self) -> list[str]:
        """The ordering columns: the watermark column(s), then the key column(s) not already among them."""
        return self.watermark + [k for k in self.key if k not in self.watermark]

    @property
    def label(self) -> str:
        """The first part of every message id: the table, or the source name for a query."""
        return self.table or self.name


def make_engine(config: SqlPollConfig) -> sa.Engine:
    """An engine for the polled database: a small pool, the driver's connect timeout, the install hint
    when the driver is missing."""
    url = normalise_url(config.url)
    backend = make_url(url).get_backend_name()
    if backend in DRIVERS:
        require(*DRIVERS[backend])
    connect_args: dict[str, Any] = {"connect_timeout": max(1, round(config.connect_timeout))}
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=1,
        max_overflow=1,
        connect_args=connect_args if backend in DRIVERS else {},
    )


def redacted(url: str) -> str:
    """The URL as it is used, with the password hidden, to name the database in messages."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except Exception:
        return "the database URL (unparseable)"


def explain(exc: BaseException) -> str:
    """What went wrong, in the driver's words, one line (not SQLAlchemy's wrapping and background link)."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
