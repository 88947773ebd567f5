"""Loading a mapping file: resolve `extends`, merge the plant's overrides, validate, compile.

    mapper = load_mapping(Path("mappings/plant-a/mes.yaml"), plant="plant-a", xref=SqlXref(engine))

Order of layers, lowest first: the base (`extends`, recursively: a path relative to the extending file or
`template:NAME` for a template shipped in `lotline/mapping/templates/`), the file itself, then the
`plants.<plant>` section of the merged result when a plant is given. Mappings merge key by key, outputs
by name (see `lotline.mapping.source.merge`). Every expression is compiled here, once.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from lotline.errors import MappingError
from lotline.mapping.expr import Expr, function
from lotline.mapping.lookups import (
    Lookups,
    MasterData,
    MemoryXref,
    StaticLookups,
    Xref,
    load_master_file,
    load_xref_file,
)
from lotline.mapping.mapper import Mapper, Rule
from lotline.mapping.source import LDict, LList, Loc, load_yaml, locate, merge
from lotline.mapping.spec import MappingFile, validate_file
from lotline.mapping.template import compile_expr, compile_template, merge_under
from lotline.model.operational import OPERATIONAL_EVENTS

__all__ = ["load_mapping", "template_path"]

TEMPLATE_PREFIX = "template:"


def template_path(name: str) -> Path:
    """The shipped template `name` (without .yaml)."""
    return Path(str(resources.files("lotline.mapping").joinpath("templates", f"{name}.yaml")))


def load_mapping(
    path: Path | str, *, plant: str | None = None, lookups: Lookups | None = None, xref: Xref | None = None
) -> Mapper:
    """The Mapper for the mapping file at `path` (or `template:NAME`), or a MappingError at file:line.

    `lookups` replaces the master data and xref files the mapping names; `xref` replaces only the xref
    (e.g. `lotline.store.xref.SqlXref`), which the mapping's `lookups.xref` file then does not seed.
    """
    file = _resolve(str(path), None)
    raw, files = _layers(file, ())
    plants = raw.get("plants") if isinstance(raw, LDict) else None
    if plant is not None and isinstance(plants, LDict) and isinstance(plants.get(plant), LDict):
        raw = merge(raw, plants[plant])
    spec = validate_file(raw, str(file))
    chosen_plant = plant if plant is not None else spec.plant
    return _build(spec, raw, files, chosen_plant, lookups or _lookups(spec, raw, xref))


def _resolve(ref: str, relative_to: Path | None) -> Path:
    if ref.startswith(TEMPLATE_PREFIX):
        return template_path(ref[len(TEMPLATE_PREFIX) :])
    path = Path(ref)
    return path if relative_to is None or path.is_absolute() else relative_to.parent / path


def _layers(file: Path, seen: tuple[Path, ...]) -> tuple[Any, list[str]]:
    if file.resolve() in seen:
        chain = " -> ".join(str(p) for p in (*seen, file.resolve()))
        raise MappingError(f"{file}:1:1: `extends` goes round in a circle: {chain}", location=f"{file}:1:1")
    raw = load_yaml(file)
    if not isinstance(raw, LDict) or "extends" not in raw:
        return raw, [str(file)]
    parent_ref = raw["extends"]
    where = raw.locs["extends"]
    if not isinstance(parent_ref, str):
        raise MappingError(
            f"{where}: field extends: a path or template:NAME", field="extends", location=str(where)
        )
    parent = _resolve(parent_ref, file)
    if not parent.is_file():
        raise MappingError(
            f"{where}: field extends: {parent_ref!r} not found ({parent})",
            field="extends",
            location=str(where),
        )
    base, files = _layers(parent, (*seen, file.resolve()))
    child = LDict(raw.loc)
    for key, value in raw.items():
        if key != "extends":
            child[key], child.locs[key] = value, raw.locs[key]
    return merge(base, child), [str(file), *files]


def _lookups(spec: MappingFile, raw: LDict, xref: Xref | None) -> Lookups:
    master = MasterData()
    xrefs = xref if xref is not None else MemoryXref()
    section = raw.get("lookups", LDict(raw.loc))
    for kind, ref in spec.lookups.items():
        loc = section.locs.get(kind, raw.loc)
        path = _resolve(ref, Path(loc.file))
        if not path.is_file():
            raise MappingError(
                f"{loc}: field lookups.{kind}: file {ref!r} not found ({path})",
                field=f"lookups.{kind}",
                location=str(loc),
            )
        if kind == "xref":
            if xref is None:
                load_xref_file(path, xrefs)
        else:
            master.add(kind, load_master_file(path))
    return StaticLookups(master, xrefs)


def _functions(lookups: Lookups) -> dict[str, Any]:
    def lookup(kind: str, key: Any) -> Any:
        if key is None:
            return None
        record = lookups.master(str(kind), str(key))
        return dict(record) if record is not None else None

    def xref(system: str, source_id: Any) -> Any:
        return None if source_id is None else lookups.xref(str(system), str(source_id))

    return {
        "tzOffset": function(tz_offset),
        "master": function(lookup),
        "item": function(lambda key: lookup("items", key)),
        "location": function(lambda key: lookup("locations", key)),
        "party": function(lambda key: lookup("parties", key)),
        "xref": function(xref),
    }


def tz_offset(value: Any) -> Any:
    """`$tzOffset(dateTime)`: the "+hh:mm" offset of an RFC 3339 date-time ("+00:00" for Z), for EPCIS's
    eventTimeZoneOffset; undefined if there is none."""
    if not isinstance(value, str) or len(value) < 6:
        return None
    if value[-1] in "Zz":
        return "+00:00"
    tail = value[-6:]
    return tail if tail[0] in "+-" and tail[3] == ":" else None


def _build(spec: MappingFile, raw: LDict, files: list[str], plant: str | None, lookups: Lookups) -> Mapper:
    outputs: LList = raw["outputs"]
    defaults = raw.get("defaults", {})
    rules = []
    for index, output in enumerate(spec.outputs):
        entry: LDict = outputs[index]
        prefix = f"outputs[{output.name}]"
        model = OPERATIONAL_EVENTS[output.operational] if output.operational else None
        key = "epcis" if model is None else "data"
        body = merge_under(defaults.get(key if key == "epcis" else "operational", {}), entry[key])
        rules.append(
            Rule(
                name=output.name,
                template=compile_template(body, f"{prefix}.{key}", entry.locs[key]),
                model=model,
                when=_expr(entry, "when", prefix),
                foreach=_expr(entry, "foreach", prefix),
                subject=_optional_template(entry, "subject", prefix),
                correlationid=_optional_template(entry, "correlationid", prefix),
                raw=entry[key],
            )
        )
    variables = raw.get("vars", LDict(raw.loc))
    match = raw.get("match", LDict(raw.loc))
    return Mapper(
        name=spec.mapping,
        version=str(spec.version),
        rules=rules,
        plant=plant,
        files=files,
        plants=tuple(spec.plants),
        topics=_strings(spec.match.topic),
        sources=_strings(spec.match.source),
        when=_expr(match, "when", "match"),
        variables=[
            (name, compile_template(value, f"vars.{name}", variables.locs.get(name)))
            for name, value in variables.items()
        ],
        functions=_functions(lookups),
    )


def _expr(entry: Any, key: str, prefix: str) -> Expr | None:
    """A predicate or array expression (`when`, `foreach`): written with or without the leading `=`."""
    if not isinstance(entry, LDict) or entry.get(key) is None:
        return None
    loc: Loc | None = locate(entry, [key])
    return compile_expr(str(entry[key]).removeprefix("="), f"{prefix}.{key}", loc)


def _optional_template(entry: LDict, key: str, prefix: str) -> Any:
    if entry.get(key) is None:
        return None
    return compile_template(entry[key], f"{prefix}.{key}", entry.locs.get(key))


def _strings(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)
