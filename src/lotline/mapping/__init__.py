"""The mapping engine: declarative, versioned YAML mapping files from native payloads to canonical events.

    from lotline.mapping import load_mapping

    mapper = load_mapping("mappings/mes-confirmation.yaml", plant="plant-a")
    events = mapper(message)        # EPCIS events (JSON-LD dicts) and operational events (CloudEvents)

See docs/mapping.md for the file format, the expression language (JSONata) and the lookups.
"""

from lotline.errors import MappingError
from lotline.mapping.loader import load_mapping, template_path
from lotline.mapping.lookups import (
    Lookups,
    MasterData,
    MemoryXref,
    StaticLookups,
    Xref,
    load_master_file,
    load_xref_file,
)
from lotline.mapping.mapper import Mapper, is_operational, topic_matches
from lotline.mapping.mapping_set import MappingSet

__all__ = [
    "Lookups",
    "Mapper",
    "MappingError",
    "MappingSet",
    "MasterData",
    "MemoryXref",
    "StaticLookups",
    "Xref",
    "is_operational",
    "load_mapping",
    "load_master_file",
    "load_xref_file",
    "template_path",
    "topic_matches",
]
