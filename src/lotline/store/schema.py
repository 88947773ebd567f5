"""The tables. Migrations in `lotline.store.migrations` create exactly these (a test compares them).

The event table is append-only: corrections are EPCIS error declarations and corrective events.
Times are integers (UTC microseconds since the epoch) so ordering is identical on SQLite and PostgreSQL.
Identifiers are indexed by their identity key (`lotline.epcis.identifiers.identity_key`), so the URN and the
GS1 Digital Link form of one object match each other.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only aliases INTEGER PRIMARY KEY to the rowid; BIGINT elsewhere for tens of millions of events.
PK = BigInteger().with_variant(Integer(), "sqlite")

_OWN_ID = text("event_id <> event_hash")

events = Table(
    "events",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    # Not unique: an error declaration (EPCIS 2.0 §7.4.1.2) repeats the eventID of the event it corrects.
    Column("event_id", String(512), nullable=False),
    # The CBV 2.0 hash ignores errorDeclaration, so an error declaration hashes like the event it declares
    # in error: one original and one declaration may share a hash, never two of either.
    Column("event_hash", String(100), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("event_time", BigInteger, nullable=False),
    Column("record_time", BigInteger, nullable=False),
    Column("action", String(8)),
    Column("biz_step", String(512)),
    Column("disposition", String(512)),
    Column("read_point", String(512)),
    Column("biz_location", String(512)),
    Column("transformation_id", String(512)),
    Column("error_declared", Boolean, nullable=False, default=False),
    Column("body", Text, nullable=False),
    # provenance
    Column("capture_id", String(64)),
    Column("interface", String(32), nullable=False),
    Column("key_id", String(64)),
    Column("source_message_id", String(512)),
    # per-event provenance of connector events (migration 0004); NULL for REST captures and imports
    Column("source", String(200)),  # the source system: the connector's configured name
    Column("plant", String(64)),
    Column("received_time", BigInteger),  # when the connector read the message
    Column("mapping", String(200)),  # name@version of the mapping that produced the event
    Column("correlation_id", String(512)),  # follows an order or lot across systems
    UniqueConstraint("event_hash", "error_declared"),
    # Only the eventIDs that are not the event's own hash (events captured without one get their hash as
    # eventID, and the constraint above indexes those already): a random 90-byte key indexed twice made
    # every batch of a bulk import rewrite most of both indexes' pages. Look events up by eventID with
    # `event_id_in`, which asks both.
    Index(None, "event_id", sqlite_where=_OWN_ID, postgresql_where=_OWN_ID),
    Index(None, "event_time"),
    Index(None, "record_time"),
    Index(None, "event_type", "event_time"),
    Index(None, "biz_step"),
    Index(None, "disposition"),
    Index(None, "read_point"),
    Index(None, "biz_location"),
    # mostly NULL: index only the events that have one
    Index(
        None,
        "transformation_id",
        sqlite_where=text("transformation_id IS NOT NULL"),
        postgresql_where=text("transformation_id IS NOT NULL"),
    ),
    Index(
        None,
        "correlation_id",
        sqlite_where=text("correlation_id IS NOT NULL"),
        postgresql_where=text("correlation_id IS NOT NULL"),
    ),
)


def event_id_in(event_ids: Sequence[str]) -> ColumnElement[bool]:
    """`events.event_id IN event_ids`, spelled so that the database answers it from its indexes: the
    partial eventID index for eventIDs of their own, the hash constraint for eventIDs that are the hash."""
    e = events.c
    either = or_(
        and_(e.event_id.in_(event_ids), e.event_id != e.event_hash),
        and_(e.event_hash.in_(event_ids), e.event_id == e.event_hash),
    )
    # As a subquery of ids, so that the planner looks the ids up first whatever else the query asks
    # (ANDed with other conditions, SQLite would rather scan one of their indexes).
    return e.id.in_(select(e.id).where(either).scalar_subquery())


# The same condition as SQL text, `{marks}` standing for one list of placeholders (bound twice).
EVENT_ID_IN_SQL = "((event_id IN ({marks}) AND event_id <> event_hash) OR (event_hash IN ({marks}) AND event_id = event_hash))"

# Which field of an event an identifier came from (`role` below).
ROLE_EPC = "e"  # epcList
ROLE_CHILD = "c"  # childEPCs
ROLE_PARENT = "p"  # parentID
ROLE_INPUT = "i"  # inputEPCList
ROLE_OUTPUT = "o"  # outputEPCList
ROLE_QTY = "q"  # quantityList epcClass
ROLE_CHILD_QTY = "d"  # childQuantityList epcClass
ROLE_INPUT_QTY = "n"  # inputQuantityList epcClass
ROLE_OUTPUT_QTY = "t"  # outputQuantityList epcClass

# One row per (identifier, field, event); the primary key is the lookup path (identifier -> events), and on
# SQLite the table is that index alone (WITHOUT ROWID), which halves the write cost of capture.
event_epcs = Table(
    "event_epcs",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("role", String(1), primary_key=True),
    Column("event", PK, ForeignKey("events.id"), primary_key=True, autoincrement=False),
    # the identifier as captured, where it differs from the key (served back in that form by traces)
    Column("raw", String(512)),
    sqlite_with_rowid=False,
)

# Business transactions, sources and destinations (`kind` below), by CBV type.
REF_BIZ_TRANSACTION = "b"
REF_SOURCE = "s"
REF_DESTINATION = "d"

event_refs = Table(
    "event_refs",
    metadata,
    Column("kind", String(1), primary_key=True),
    Column("value", String(512), primary_key=True),
    Column("type", String(256), primary_key=True),
    Column("event", PK, ForeignKey("events.id"), primary_key=True, autoincrement=False),
    Column("raw", String(512)),  # the value as captured, where it differs from `value`
    sqlite_with_rowid=False,
)

capture_jobs = Table(
    "capture_jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Column("running", Boolean, nullable=False),
    Column("success", Boolean, nullable=False),
    Column("error_behaviour", String(16), nullable=False),
    Column("events_total", Integer, nullable=False, default=0),
    Column("events_stored", Integer, nullable=False, default=0),
    Column("events_duplicate", Integer, nullable=False, default=0),
    Column("errors", Text, nullable=False, default="[]"),
    Column("interface", String(32), nullable=False),
    Column("key_id", String(64)),
    Index(None, "created_at"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("scopes", String(200), nullable=False),
    Column("salt", String(64), nullable=False),
    Column("hash", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
)

# --- connectors: inbox, dead letters, audit (migration 0002) ------------------------------------------------

# Inbox states: a message is written here before its source is acknowledged, then processed.
INBOX_PENDING = "pending"  # acknowledged to the source, not yet through the pipeline
INBOX_DONE = "done"  # stored, or recognised as a duplicate
INBOX_DEAD = "dead"  # parked in dead_letters

inbox = Table(
    "inbox",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("message_id", String(512), nullable=False),  # the source's own id: a redelivery has the same
    Column("payload", LargeBinary, nullable=False),
    Column("topic", String(512), nullable=False, default=""),
    Column("headers", Text, nullable=False, default="{}"),  # JSON object of strings
    Column("received_at", BigInteger, nullable=False),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    UniqueConstraint("source", "message_id"),
    # the work queue: only the (few) unfinished rows are indexed
    Index(
        None,
        "id",
        sqlite_where=text("state = 'pending'"),
        postgresql_where=text("state = 'pending'"),
    ),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("message_id", String(512), nullable=False),
    Column("payload", LargeBinary, nullable=False),  # the original input, never a transformed one
    Column("topic", String(512), nullable=False, default=""),
    Column("headers", Text, nullable=False, default="{}"),
    Column("stage", String(32), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("replayed_at", BigInteger),
    Column("discarded_at", BigInteger),
    Column("discard_reason", Text),
    Index(None, "created_at"),
    Index(None, "source", "message_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("actor", String(200), nullable=False),  # the API key name, or "cli:<user>"
    Column("action", String(64), nullable=False),  # e.g. dlq.replay, dlq.discard
    Column("target", String(512), nullable=False),
    Column("detail", Text, nullable=False, default="{}"),  # JSON object
    Index(None, "at"),
    Index(None, "target"),
)

# --- identifier cross-reference (migration 0003) -----------------------------------------------------------
# One enterprise identity per lot or unit; every source system's own id for it kept (lotline.store.xref).

xref_identities = Table(
    "xref_identities",
    metadata,
    Column("id", String(512), primary_key=True),  # the enterprise identity
    Column("created_at", BigInteger, nullable=False),
)

xref_source_ids = Table(
    "xref_source_ids",
    metadata,
    Column("system", String(64), primary_key=True),  # lower case: erp, mes, scada, wms, ...
    Column("source_id", String(512), primary_key=True),  # a source id is linked to one identity, for good
    Column("identity", String(512), ForeignKey("xref_identities.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "identity"),
)

# --- operational events (migration 0004) -------------------------------------------------------------------
# The CloudEvents-wrapped operational events (ISA-95: order status, operation confirmation, equipment state,
# quality disposition) that mappings produce beside EPCIS events (lotline.store.operational).

operational_events = Table(
    "operational_events",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    # deterministic per source message and output, so a redelivered message is stored once
    Column("envelope_id", String(200), nullable=False),
    Column("type", String(128), nullable=False),
    Column("source", String(512), nullable=False),
    Column("subject", String(512)),
    Column("time", BigInteger, nullable=False),
    Column("plant", String(64)),
    Column("correlation_id", String(512)),
    Column("traceparent", String(64)),
    Column("data", Text, nullable=False),  # JSON object
    Column("source_message_id", String(512)),
    Column("mapping", String(200)),
    Column("received_time", BigInteger),
    Column("record_time", BigInteger, nullable=False),
    UniqueConstraint("envelope_id"),
    Index(None, "time"),
    Index(None, "type", "time"),
    Index(None, "plant", "time"),
    Index(None, "correlation_id"),
)

# --- source positions (migration 0005) ---------------------------------------------------------------------
# Where a polling source (SQL polling) has got to: advanced when lotline acknowledges a row, so a restarted
# source resumes right after the last row kept (lotline.store.positions).

source_positions = Table(
    "source_positions",
    metadata,
    Column("source", String(200), primary_key=True),  # the source's configured name
    Column("position", Text, nullable=False),  # JSON object, defined by the source kind
    Column("updated_at", BigInteger, nullable=False),
)

# --- EPCIS named queries, subscriptions and outbound delivery (migration 0006) -------------------------------
# Named queries and their subscriptions (EPCIS 2.0 REST binding, /epcis/queries); the windows each
# subscription was cut into (consecutive ranges of event row ids: no gap, no overlap, each delivered exactly
# once, lotline.store.subscriptions); requests for the outbound dispatcher (replays of dead-lettered
# deliveries, lotline.outbound).

epcis_queries = Table(
    "epcis_queries",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("query", Text, nullable=False),  # JSON object: SimpleEventQuery parameters
    Column("owner", String(64)),  # the API key id that created it
    Column("created_at", BigInteger, nullable=False),
)

epcis_subscriptions = Table(
    "epcis_subscriptions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("query_name", String(200), ForeignKey("epcis_queries.name"), nullable=False),
    Column("dest", Text, nullable=False),
    Column("signature_token", Text),
    Column("stream", Boolean, nullable=False),
    Column("schedule", Text),  # JSON object (second, minute, hour, dayOfMonth, month, dayOfWeek)
    Column("report_if_empty", Boolean, nullable=False),
    Column("initial_record_time", BigInteger, nullable=False),
    Column("epc_format", String(32), nullable=False),
    Column("owner", String(64)),
    Column("created_at", BigInteger, nullable=False),
    Column("last_notified_at", BigInteger),
    Column("last_event", BigInteger, nullable=False),  # the last event row id cut into a window
    Column("last_fire", BigInteger),  # the last scheduled run consumed (microseconds)
    Column("next_window", Integer, nullable=False),
    Index(None, "query_name"),
)

subscription_windows = Table(
    "subscription_windows",
    metadata,
    Column("subscription", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("from_event", BigInteger, nullable=False),  # exclusive
    Column("to_event", BigInteger, nullable=False),  # inclusive
    Column("fire_time", BigInteger, nullable=False),
    Column("state", String(8), nullable=False),  # pending, done, empty, dead
    Column("events", Integer),
    Column("created_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Index(
        None,
        "state",
        sqlite_where=text("state = 'pending'"),
        postgresql_where=text("state = 'pending'"),
    ),
)

outbound_requests = Table(
    "outbound_requests",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # "replay"
    Column("letter", BigInteger, nullable=False),  # the dead letter to deliver again
    Column("created_at", BigInteger, nullable=False),
    Column("taken_at", BigInteger),
    Index(
        None,
        "id",
        sqlite_where=text("taken_at IS NULL"),
        postgresql_where=text("taken_at IS NULL"),
    ),
)
