"""The simulated company: its two plants, products and recipes, raw materials, suppliers and customers.

Everything here follows from the `PlantConfig` alone (no randomness), so identifiers are stable across
seeds: the seed changes what happens, not who the partners are.
"""

from __future__ import annotations

from dataclasses import dataclass

from lotline.sim._clock import Zone
from lotline.sim._config import PlantConfig
from lotline.sim._ids import Gtin, giai, gln, pgln, sgln

OWN_GCP = "4012345"
# Company prefixes of partners: different lengths, none a prefix of another (nor of OWN_GCP).
_SUPPLIER_GCPS = ("0614141", "4000001", "5412345", "87123456", "761234567", "3012345", "9521234")
_CUSTOMER_GCPS = ("4098765", "5098765", "8712389", "3098765", "54123987", "760098765", "0698765")


@dataclass(frozen=True, slots=True)
class Material:
    code: str  # also the start of the supplier's lot numbers
    name: str
    uom: str  # UN/ECE rec. 20: KGM kilogram, LTR litre
    lot_size: float  # per received lot: a silo or tank load for bulk goods, a few pallets otherwise
    bulk: bool  # one lot per (tanker) truck, its weight varying a little; packed goods: up to 3 lots


MATERIALS = (
    Material("SUG", "sugar (silo)", "KGM", 9_000, True),
    Material("SMP", "skimmed milk powder (silo)", "KGM", 8_000, True),
    Material("MDX", "maltodextrin (silo)", "KGM", 6_000, True),
    Material("OAT", "oat flour (silo)", "KGM", 12_000, True),
    Material("OIL", "sunflower oil (tank)", "LTR", 2_000, True),
    Material("WPC", "whey protein concentrate (big bags)", "KGM", 4_000, False),
    Material("COC", "cocoa powder (bags)", "KGM", 2_500, False),
    Material("VIT", "vitamin premix (drums)", "KGM", 150, False),
    Material("LEC", "lecithin (drums)", "KGM", 250, False),
    Material("VAN", "vanilla flavour (cans)", "KGM", 60, False),
    Material("SAL", "salt (bags)", "KGM", 125, False),
)


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    intermediate: Gtin  # the mixed, unfilled batch
    unit: Gtin  # the finished lot's class (tins for serialised products, cases for the others)
    case: Gtin | None  # serialised case GTIN; None for lot-only products
    units_per_case: int
    recipe: tuple[tuple[str, float], ...]  # (material code, amount per batch in the material's uom)
    shelf_life_days: int
    expiry: bool  # pharma-style itemExpirationDate as well as bestBeforeDate


@dataclass(frozen=True, slots=True)
class Plant:
    index: int
    code: str
    name: str
    gln: str
    site: str  # SGLN of the whole plant
    dock_in: str
    raw_store: str
    mixing: str
    filling: str
    packing: str
    goods_store: str
    dock_out: str
    zone: Zone
    products: tuple[Product, ...]


@dataclass(frozen=True, slots=True)
class Supplier:
    gcp: str
    gln: str
    party: str
    site: str
    items: tuple[tuple[str, Gtin], ...]  # (material code, the supplier's GTIN for it)


@dataclass(frozen=True, slots=True)
class Customer:
    gln: str
    party: str
    sites: tuple[str, ...]  # distribution centres


@dataclass(frozen=True, slots=True)
class World:
    party: str  # the company (PGLN)
    gln: str
    plants: tuple[Plant, Plant]
    suppliers: tuple[Supplier, ...]
    customers: tuple[Customer, ...]
    materials: dict[str, Material]
    sources: dict[str, tuple[tuple[Supplier, Gtin], ...]]  # material code -> who supplies it, as what
    loggers: tuple[str, ...]  # temperature loggers (GIAI) travelling with transfers


def _own(item_ref: str) -> Gtin:
    return Gtin(OWN_GCP, item_ref)


# Amounts per mixing batch, in the material's unit (kg; oil in litres).
RECIPES: dict[str, dict[str, float]] = {
    "NPW": {"SMP": 180, "MDX": 120, "WPC": 60, "SUG": 40, "OIL": 40, "VIT": 4, "LEC": 6},
    "CDM": {"SUG": 320, "COC": 120, "SMP": 200, "VAN": 2, "SAL": 3, "LEC": 5},
    "PRG": {"OAT": 500, "SMP": 150, "SUG": 80, "SAL": 4, "VAN": 1.5},
    "NSP": {"WPC": 200, "MDX": 150, "COC": 60, "VIT": 3, "SUG": 40},
}


def _product(code: str, name: str, n: int, serialised: bool, units_per_case: int, shelf_life: int) -> Product:
    """Own GTINs: 02nnnn the intermediate batch, 01nnnn the unit, 11nnnn its case (indicator 1)."""
    batch, unit, case = _own(f"02{n:04d}"), _own(f"01{n:04d}"), _own(f"11{n:04d}") if serialised else None
    return Product(
        code, name, batch, unit, case, units_per_case, tuple(RECIPES[code].items()), shelf_life, serialised
    )


def _plant(index: int, code: str, name: str, standard_minutes: int, products: tuple[Product, ...]) -> Plant:
    ref = index + 1
    exts = ("0", "101", "201", "301", "401", "501", "601", "701")
    site, dock_in, raw_store, mixing, filling, packing, goods_store, dock_out = (
        sgln(OWN_GCP, ref, e) for e in exts
    )
    return Plant(
        index, code, name, gln(OWN_GCP, ref), site, dock_in, raw_store, mixing, filling, packing, goods_store,
        dock_out, Zone(standard_minutes), products,
    )  # fmt: skip


def _gcp(pool: tuple[str, ...], index: int, prefix: str) -> str:
    return pool[index] if index < len(pool) else f"{prefix}{index:05d}"


def build_world(config: PlantConfig) -> World:
    npw = _product("NPW", "nutrition powder 800 g, serialised cases of 12 tins", 1, True, 12, 540)
    cdm = _product("CDM", "cocoa drink mix, cases of 6 x 1 kg", 2, False, 6, 365)
    prg = _product("PRG", "oat porridge, cases of 10 x 500 g", 3, False, 10, 270)
    nsp = _product("NSP", "protein shake powder 450 g, serialised cases of 6 tins", 4, True, 6, 450)
    plants = (
        _plant(0, "A", "Hamburg mixing and filling", 60, (npw, cdm)),
        _plant(1, "B", "Leeds plant and distribution centre", 0, (prg, nsp)),
    )
    count = config.suppliers
    suppliers_of: list[set[int]] = [
        {i % count} | set(range(i, count, len(MATERIALS))) | ({(i + 1) % count} if i % 3 == 0 else set())
        for i in range(len(MATERIALS))
    ]
    suppliers = []
    for s in range(count):
        gcp = _gcp(_SUPPLIER_GCPS, s, "42")
        width = 12 - len(gcp)
        items = tuple(
            (m.code, Gtin(gcp, f"0{100 + i:0{width}d}"))
            for i, m in enumerate(MATERIALS)
            if s in suppliers_of[i]
        )
        suppliers.append(Supplier(gcp, gln(gcp, 0), pgln(gcp, 0), sgln(gcp, 1), items))
    sources = {
        m.code: tuple((sup, gtin) for sup in suppliers for code, gtin in sup.items if code == m.code)
        for m in MATERIALS
    }
    customers = []
    for c in range(config.customers):
        gcp = _gcp(_CUSTOMER_GCPS, c, "43")
        sites = tuple(sgln(gcp, 10 + j) for j in range(1 + c % 3))
        customers.append(Customer(gln(gcp, 0), pgln(gcp, 0), sites))
    loggers = tuple(giai(OWN_GCP, f"TL{n:04d}") for n in range(1, 13))
    materials = {m.code: m for m in MATERIALS}
    return World(
        pgln(OWN_GCP, 0),
        gln(OWN_GCP, 0),
        plants,
        tuple(suppliers),
        tuple(customers),
        materials,
        sources,
        loggers,
    )
