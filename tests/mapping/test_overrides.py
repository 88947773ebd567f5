"""Per-plant templates: `extends` a base (a file or a shipped template) and `plants:` sections; outputs
merge by name; errors still point at the file and line where the value was written."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotline.errors import MappingError
from lotline.mapping import load_mapping
from tests.mapping.conftest import message, write

BASE = """
mapping: base
version: 1
match:
  source: mes-*
vars:
  gcp: "4012345"
  site: urn:epc:id:sgln:4012345.00001.0
defaults:
  epcis:
    eventTimeZoneOffset: "+00:00"
    readPoint: {id: "= $site"}
outputs:
  - name: made
    epcis:
      type: ObjectEvent
      action: ADD
      eventTime: "= at"
      epcList: []
      quantityList:
        - {epcClass: "= 'urn:epc:class:lgtin:' & $gcp & '.011111.' & lot", quantity: "= qty"}
      bizStep: commissioning
  - name: seen
    epcis:
      type: ObjectEvent
      action: OBSERVE
      eventTime: "= at"
      epcList: []
      quantityList: [{epcClass: "= 'urn:epc:class:lgtin:' & $gcp & '.011111.' & lot"}]
plants:
  plant-b:
    vars: {gcp: "4098765"}
"""

PLANT = """
mapping: plant-a-mes
version: 4
extends: base.yaml
vars:
  site: urn:epc:id:sgln:4012345.00099.0
outputs:
  - name: made
    epcis:
      disposition: active
  - name: seen
    remove: true
  - name: shipped
    when: shipped
    epcis:
      type: ObjectEvent
      action: OBSERVE
      eventTime: "= at"
      epcList: []
      quantityList: [{epcClass: "= 'urn:epc:class:lgtin:' & $gcp & '.011111.' & lot"}]
      bizStep: shipping
"""

PAYLOAD = {"at": "2026-12-01T10:00:00Z", "lot": "L1", "qty": 5, "shipped": True}


def test_extends_merges_vars_and_outputs_by_name(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    mapper = load_mapping(write(tmp_path, "plant-a.yaml", PLANT))
    assert (mapper.name, mapper.version) == ("plant-a-mes", "4")
    assert mapper.files == [str(tmp_path / "plant-a.yaml"), str(tmp_path / "base.yaml")]
    assert mapper.sources == ("mes-*",)  # inherited
    made, shipped = mapper(message(PAYLOAD, source="mes-1"))
    assert made["disposition"] == "active"  # added by the override
    assert made["bizStep"] == "commissioning"  # kept from the base
    assert made["readPoint"] == {"id": "urn:epc:id:sgln:4012345.00099.0"}  # default, with the plant's var
    assert made["quantityList"] == [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": 5}]
    assert shipped["bizStep"] == "shipping" and shipped["eventTimeZoneOffset"] == "+00:00"
    assert [rule.name for rule in mapper.rules] == ["made", "shipped"]  # seen removed


def test_a_plant_section_is_applied_only_for_that_plant(tmp_path: Path) -> None:
    path = write(tmp_path, "base.yaml", BASE)
    [a, _] = load_mapping(path)(message(PAYLOAD))
    [b, _] = load_mapping(path, plant="plant-b")(message(PAYLOAD))
    assert a["quantityList"][0]["epcClass"] == "urn:epc:class:lgtin:4012345.011111.L1"
    assert b["quantityList"][0]["epcClass"] == "urn:epc:class:lgtin:4098765.011111.L1"
    [c, _] = load_mapping(path, plant="plant-z")(message(PAYLOAD))  # no section: the base as is
    assert c == a


def test_plant_is_bound_from_the_load_the_file_or_the_message(tmp_path: Path) -> None:
    text = """
    mapping: p
    version: 1
    plant: plant-a
    outputs:
      - name: state
        operational: EquipmentState
        data: {time: "= at", equipment: "= $plant & '/filler'", state: running}
    """
    path = write(tmp_path, "p.yaml", text)
    [event] = load_mapping(path)(message(PAYLOAD))
    assert event["plant"] == "plant-a" and event["data"]["equipment"] == "plant-a/filler"
    [event] = load_mapping(path, plant="plant-c")(message(PAYLOAD))
    assert event["plant"] == "plant-c"
    path = write(tmp_path, "q.yaml", text.replace("    plant: plant-a\n", ""))
    [event] = load_mapping(path)(message(PAYLOAD, plant="plant-h"))
    assert event["plant"] == "plant-h"


def test_errors_in_a_merged_mapping_point_at_the_file_that_wrote_the_value(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE.replace('"= at"', '"= at +"', 1))
    with pytest.raises(MappingError) as caught:
        load_mapping(write(tmp_path, "plant-a.yaml", PLANT))
    assert caught.value.location == f"{tmp_path / 'base.yaml'}:17:18"
    write(tmp_path, "base.yaml", BASE)
    write(
        tmp_path,
        "plant-a.yaml",
        PLANT.replace("      disposition: active", "      disposition: active\n    colour: red"),
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(tmp_path / "plant-a.yaml")
    assert caught.value.location == f"{tmp_path / 'plant-a.yaml'}:10:13"
    assert caught.value.field == "outputs[0].colour"


def test_extending_a_shipped_template(tmp_path: Path) -> None:
    path = write(
        tmp_path, "m.yaml", "mapping: mine\nversion: 1\nextends: template:filler-lot-commissioning\n"
    )
    mapper = load_mapping(path)
    assert mapper.files[1].endswith("templates/filler-lot-commissioning.yaml")
    assert mapper.topics == ("plant/+/filler/+/lot",)
