"""Master data files and the identifier cross-reference: the in-memory and the store-backed xref pass the
same tests, and a mapping resolves source ids through either."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lotline.errors import MappingError
from lotline.mapping import MemoryXref, Xref, load_mapping, load_master_file, load_xref_file
from lotline.store.engine import open_engine
from lotline.store.xref import SqlXref
from tests.mapping.conftest import message, write


@pytest.fixture(params=["memory", "sqlite"])
def xref(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Xref]:
    if request.param == "memory":
        yield MemoryXref()
        return
    engine = open_engine(f"sqlite:///{tmp_path}/xref.db")  # migrated: 0001 -> 0002 -> 0003
    yield SqlXref(engine)
    engine.dispose()


LOT = "urn:epc:class:lgtin:4012345.011111.B-42"


def test_every_source_id_resolves_to_one_identity_and_is_kept(xref: Xref) -> None:
    assert isinstance(xref, Xref)
    assert xref.link(LOT, "ERP", "4711-0042") == LOT
    assert xref.link(LOT, "mes", "B-42") == LOT
    assert xref.link(LOT, "SCADA", "CAMP-7") == LOT
    assert xref.link(LOT, "wms", "HU-2") == LOT
    assert xref.link(LOT, "wms", "HU-1") == LOT
    assert xref.resolve("erp", "4711-0042") == LOT
    assert xref.resolve("MES", "B-42") == LOT  # system names are case-insensitive
    assert xref.resolve("mes", "b-42") is None  # source ids are exact
    assert xref.resolve("erp", "B-42") is None  # and belong to their system
    assert xref.source_ids(LOT) == {
        "erp": ["4711-0042"],
        "mes": ["B-42"],
        "scada": ["CAMP-7"],
        "wms": ["HU-1", "HU-2"],
    }
    assert xref.source_ids("unknown") == {}


def test_a_source_id_never_moves_to_another_identity(xref: Xref) -> None:
    xref.link(LOT, "mes", "B-42")
    assert xref.link("urn:lotline:lot:other", "mes", "B-42") == LOT
    assert xref.link(LOT, "mes", "B-42") == LOT  # idempotent
    assert xref.resolve("mes", "B-42") == LOT
    assert xref.source_ids("urn:lotline:lot:other") == {}


def test_the_store_tables_come_from_migration_0003(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path}/m.db")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() >= "0003"
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {"xref_identities", "xref_source_ids"} <= tables


def test_master_data_from_csv_and_yaml(tmp_path: Path) -> None:
    csv = write(tmp_path, "items.csv", "id,name,uom\n011111,Sauce,KGM\n022222,Paste,\n")
    assert load_master_file(csv) == {
        "011111": {"id": "011111", "name": "Sauce", "uom": "KGM"},
        "022222": {"id": "022222", "name": "Paste"},
    }
    listed = write(tmp_path, "parties.yaml", "- id: '4012345000009'\n  name: ACME\n")
    assert load_master_file(listed) == {"4012345000009": {"id": "4012345000009", "name": "ACME"}}
    keyed = write(tmp_path, "locations.yaml", "FILL-1: {sgln: 'urn:epc:id:sgln:4012345.00010.1'}\n")
    assert load_master_file(keyed)["FILL-1"] == {"id": "FILL-1", "sgln": "urn:epc:id:sgln:4012345.00010.1"}


def test_bad_master_and_xref_files_are_located(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"items.csv:1:1: the header row has no `id` column"):
        load_master_file(write(tmp_path, "items.csv", "code,name\n1,x\n"))
    with pytest.raises(MappingError, match=r"items.csv:3:1: the row has no id"):
        load_master_file(write(tmp_path, "items.csv", "id,name\n1,x\n,y\n"))
    with pytest.raises(MappingError, match=r"items.yaml:2:3: a master record needs an `id`"):
        load_master_file(write(tmp_path, "items.yaml", "- id: a\n- name: b\n"))
    clash = write(tmp_path, "xref.yaml", "LOT-A: {mes: B-1}\nLOT-B: {mes: [B-2, B-1]}\n")
    with pytest.raises(MappingError, match=r"xref.yaml:2:8: mes id 'B-1' is already linked to 'LOT-A'"):
        load_xref_file(clash, MemoryXref())


MAPPING = """
mapping: lots
version: 1
lookups:
  items: items.csv
  xref: xref.yaml
outputs:
  - name: disposition
    operational: QualityDisposition
    data:
      time: "= at"
      lot: "= $xref('mes', batch)"
      decision: "= $item(material).defaultDecision"
      reason: "= $master('items', material).name"
"""


def test_a_mapping_looks_up_master_data_and_the_xref_file(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "id,name,defaultDecision\n011111,Sauce,on_hold\n")
    write(tmp_path, "xref.yaml", f"'{LOT}': {{mes: B-42, erp: '4711'}}\n")
    mapper = load_mapping(write(tmp_path, "m.yaml", MAPPING))
    [event] = mapper(message({"at": "2026-12-01T10:00:00Z", "batch": "B-42", "material": "011111"}))
    assert event["data"] == {
        "time": "2026-12-01T10:00:00Z",
        "lot": LOT,
        "decision": "on_hold",
        "reason": "Sauce",
    }
    assert event["subject"] == LOT


def test_a_mapping_resolves_through_the_store_backed_xref(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "id,name,defaultDecision\n011111,Sauce,released\n")
    write(tmp_path, "xref.yaml", "{}\n")
    engine = open_engine(f"sqlite:///{tmp_path}/x.db")
    store = SqlXref(engine)
    store.link(LOT, "MES", "B-42")
    mapper = load_mapping(write(tmp_path, "m.yaml", MAPPING), xref=store)
    [event] = mapper(message({"at": "2026-12-01T10:00:00Z", "batch": "B-42", "material": "011111"}))
    assert event["data"]["lot"] == LOT
    # an unknown batch has no enterprise identity: the field is missing, so the event is invalid
    with pytest.raises(MappingError, match=r"output disposition, field outputs\[disposition\]\.data\.lot"):
        mapper(message({"at": "2026-12-01T10:00:00Z", "batch": "B-43", "material": "011111"}))
    engine.dispose()
