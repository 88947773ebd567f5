"""CBV 2.0 vocabularies and the three spellings of a standard value.

A standard CBV value can be written three ways, all meaning the same thing:

    bare (JSON-LD)   shipping
    EPCIS XML URN    urn:epcglobal:cbv:bizstep:shipping
    web URI          https://ref.gs1.org/cbv/BizStep-shipping   (also as the CURIE cbv:BizStep-shipping)

lotline stores the bare form (`short_cbv`), the event hash uses the web URI (`web_cbv`) and EPCIS XML output
uses the URN (`urn_cbv`). Values that are not standard CBV values (user vocabularies such as
`https://example.com/steps/baking`) pass through every function unchanged.

Kinds: `bizStep`, `disposition`, `bizTransactionType`, `sourceDestType`, `errorReason`, plus the sensor
vocabularies `measurementType`, `sensorAlertType` (both in the `https://gs1.org/voc/` namespace, no URN form)
and `component` (`https://ref.gs1.org/cbv/Comp-x`, no URN form).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BIZ_STEPS",
    "BIZ_TRANSACTION_TYPES",
    "COMPONENTS",
    "DISPOSITIONS",
    "ERROR_REASONS",
    "KINDS",
    "MEASUREMENT_TYPES",
    "SENSOR_ALERT_TYPES",
    "SOURCE_DEST_TYPES",
    "is_cbv",
    "short_cbv",
    "urn_cbv",
    "web_cbv",
]

CBV_WEB: Final = "https://ref.gs1.org/cbv/"
GS1_VOC: Final = "https://gs1.org/voc/"

# The prefixes the standard EPCIS 2.0 JSON-LD context defines (extension keys such as `cbvmda:lotNumber`).
# Namespaces are compared as written: `urn:epcglobal:cbv:mda` (no colon, in some XML) is not `cbvmda`.
STANDARD_PREFIXES: Final = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": CBV_WEB,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": GS1_VOC,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BIZ_STEPS: Final = _words(
    """accepting arriving assembling collecting commissioning consigning creating_class_instance
    cycle_counting decommissioning departing destroying disassembling dispensing encoding entering_exiting
    holding inspecting installing killing loading other packing picking receiving removing repackaging
    repairing replacing reserving retail_selling sampling sensor_reporting shipping staging_outbound
    stock_taking stocking storing transporting unloading unpacking void_shipping"""
)
DISPOSITIONS: Final = _words(
    """active available completeness_inferred completeness_verified conformant container_closed
    container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit inactive
    mismatch_class mismatch_instance mismatch_quantity needs_replacement no_pedigree_match non_conformant
    non_sellable_other partially_dispensed recalled reserved retail_sold returned sellable_accessible
    sellable_not_accessible stolen unavailable unknown"""
)
BIZ_TRANSACTION_TYPES: Final = _words(
    "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt"
)
SOURCE_DEST_TYPES: Final = frozenset({"location", "owning_party", "possessing_party"})
ERROR_REASONS: Final = frozenset({"did_not_occur", "incorrect_data"})
MEASUREMENT_TYPES: Final = _words(
    """AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Altitude AmountOfSubstance
    AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum AngularVelocity Area Capacitance
    Conductance Conductivity Count Density Dimensionless DoseEquivalent DoseEquivalentRate DynamicViscosity
    ElectricCharge ElectricCurrent ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force
    Frequency Illuminance Inductance Irradiance KinematicViscosity Length LinearMomentum Luminance
    LuminousFlux LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass
    MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy MolarMass
    MolarVolume Power Pressure Radioactivity RadiantFlux RadiantIntensity RelativeHumidity Resistance
    Resistivity SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension Temperature Time Torque
    Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux Wavenumber"""
)
SENSOR_ALERT_TYPES: Final = frozenset({"ALARM_CONDITION", "ERROR_CONDITION"})
COMPONENTS: Final = _words(
    """x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting northing
    latitude longitude altitude"""
)

# kind -> (values, web URI prefix, URN prefix or None)
_SPEC: Final[dict[str, tuple[frozenset[str], str, str | None]]] = {
    "bizStep": (BIZ_STEPS, CBV_WEB + "BizStep-", "urn:epcglobal:cbv:bizstep:"),
    "disposition": (DISPOSITIONS, CBV_WEB + "Disp-", "urn:epcglobal:cbv:disp:"),
    "bizTransactionType": (BIZ_TRANSACTION_TYPES, CBV_WEB + "BTT-", "urn:epcglobal:cbv:btt:"),
    "sourceDestType": (SOURCE_DEST_TYPES, CBV_WEB + "SDT-", "urn:epcglobal:cbv:sdt:"),
    "errorReason": (ERROR_REASONS, CBV_WEB + "ER-", "urn:epcglobal:cbv:er:"),
    "measurementType": (MEASUREMENT_TYPES, GS1_VOC, None),
    "sensorAlertType": (SENSOR_ALERT_TYPES, GS1_VOC, None),
    "component": (COMPONENTS, CBV_WEB + "Comp-", None),
}
KINDS: Final = frozenset(_SPEC)


def _spellings() -> dict[str, tuple[dict[str, str], dict[str, str], dict[str, str]]]:
    """kind -> (any spelling -> bare, bare -> web URI, bare -> URN)."""
    tables = {}
    for kind, (values, web, urn) in _SPEC.items():
        curie = ("gs1:" if web == GS1_VOC else "cbv:") + web.rsplit("/", 1)[1]
        to_short: dict[str, str] = {}
        for value in values:
            to_short[value] = value
            to_short[web + value] = value
            to_short[curie + value] = value
            if urn is not None:
                to_short[urn + value] = value
        to_web = {value: web + value for value in values}
        to_urn = {value: (urn or web) + value for value in values}
        tables[kind] = (to_short, to_web, to_urn)
    return tables


_TABLES: Final = _spellings()


def _table(kind: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    try:
        return _TABLES[kind]
    except KeyError:
        raise ValueError(f"unknown CBV vocabulary kind {kind!r}; expected one of {sorted(KINDS)}") from None


def short_cbv(kind: str, value: str) -> str:
    """Any spelling of a standard value of `kind` -> its bare form (`shipping`); other values unchanged."""
    return _table(kind)[0].get(value, value)


def web_cbv(kind: str, value: str) -> str:
    """Any spelling of a standard value -> its web URI (`https://ref.gs1.org/cbv/BizStep-shipping`, the form
    the CBV 2.0 event hash uses); other values unchanged."""
    to_short, to_web, _ = _table(kind)
    short = to_short.get(value)
    return value if short is None else to_web[short]


def urn_cbv(kind: str, value: str) -> str:
    """Any spelling of a standard value -> its URN (`urn:epcglobal:cbv:bizstep:shipping`, the form EPCIS XML
    uses); other values unchanged. The sensor vocabularies have no URN form and give their web URI."""
    to_short, _, to_urn = _table(kind)
    short = to_short.get(value)
    return value if short is None else to_urn[short]


def is_cbv(kind: str, value: str) -> bool:
    """Whether `value` is a standard value of `kind`, in any of its spellings."""
    return value in _table(kind)[0]
