"""Sandbox: the vehicle values the sandbox knows (``/v3/vehicle/*``, ``/v4/vehicles/*``).

Pure data and lookups: no I/O here. The real API's lists are not public; these
are a representative subset. Assumptions: ``brand``, ``body_type``, ``fuels``
and ``transmission`` are validated against these lists (the docs show
``"x" is not a valid choice.`` for brand); ``model`` is validated only for the
brands listed in ``MODELS`` and is otherwise a free slug. The lists are the
Swedish market's common brands and models (the real API's are longer).
"""

from __future__ import annotations

from collections.abc import Mapping


def _slugs(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BRANDS: Mapping[str, tuple[str, ...]] = {
    "car": _slugs(
        "alfa-romeo audi bmw byd chevrolet citroen cupra dacia fiat ford honda hyundai jaguar "
        "jeep kia land-rover lexus mazda mercedes-benz mg mini mitsubishi nissan opel peugeot "
        "polestar porsche renault saab seat skoda subaru suzuki tesla toyota volkswagen volvo"
    ),
    "transport": _slugs(
        "citroen fiat ford iveco maxus mercedes-benz nissan opel peugeot renault toyota volkswagen"
    ),
    "motorcycle": _slugs(
        "aprilia bmw ducati harley-davidson honda husqvarna kawasaki ktm suzuki triumph yamaha"
    ),
    "moped": _slugs("aprilia derbi honda peugeot piaggio sym vespa yamaha"),
    "snowmobile": _slugs("arctic-cat lynx polaris ski-doo yamaha"),
    "atv": _slugs("can-am cfmoto kawasaki polaris segway suzuki yamaha"),
    "camper": _slugs("adria bavaria burstner dethleffs hobby hymer kabe knaus"),
    "caravan": _slugs("adria cabby dethleffs hobby kabe knaus polar solifer tabbert"),
    "trailer": _slugs("brenderup fogelsta humbaur ifor-williams respo tiki"),
}

MODELS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("car", "audi"): _slugs(
        "a1 a3 a4 a4-allroad a5 a6 a6-allroad a7 a8 e-tron e-tron-gt q2 q3 q4-e-tron q5 q7 q8 tt"
    ),
    ("car", "bmw"): _slugs(
        "1-serie 2-serie 3-serie 4-serie 5-serie 7-serie i3 i4 i5 i7 ix ix1 ix3 x1 x2 x3 x4 x5 "
        "x6 x7 z4"
    ),
    ("car", "ford"): _slugs("fiesta focus kuga mondeo mustang mustang-mach-e puma ranger s-max"),
    ("car", "hyundai"): _slugs("i10 i20 i30 ioniq ioniq-5 ioniq-6 kona santa-fe tucson"),
    ("car", "kia"): _slugs("ceed ev3 ev6 ev9 niro picanto rio sorento soul sportage stonic xceed"),
    ("car", "mercedes-benz"): _slugs(
        "a-klass b-klass c-klass cla e-klass eqa eqb eqc eqe eqs gla glb glc gle s-klass"
    ),
    ("car", "peugeot"): _slugs("208 2008 308 3008 508 5008 e-208 e-2008"),
    ("car", "polestar"): _slugs("1 2 3 4"),
    ("car", "saab"): _slugs("9-3 9-5 900 9000"),
    ("car", "skoda"): _slugs("elroq enyaq fabia kamiq karoq kodiaq octavia scala superb"),
    ("car", "tesla"): _slugs("model-3 model-s model-x model-y"),
    ("car", "toyota"): _slugs(
        "auris aygo aygo-x bz4x c-hr camry corolla corolla-cross highlander land-cruiser prius "
        "rav4 yaris yaris-cross"
    ),
    ("car", "volkswagen"): _slugs(
        "arteon caddy golf id-3 id-4 id-5 id-7 id-buzz passat polo t-cross t-roc taigo tiguan "
        "touareg touran up"
    ),
    ("car", "volvo"): _slugs(
        "240 740 940 c30 c40 c70 ex30 ex40 ex90 s40 s60 s80 s90 v40 v50 v60 v60-cross-country "
        "v70 v90 v90-cross-country xc40 xc60 xc70 xc90"
    ),
    ("transport", "citroen"): _slugs("berlingo jumper jumpy"),
    ("transport", "fiat"): _slugs("doblo ducato scudo"),
    ("transport", "ford"): _slugs("ranger transit transit-connect transit-courier transit-custom"),
    ("transport", "mercedes-benz"): _slugs("citan sprinter vito"),
    ("transport", "renault"): _slugs("kangoo master trafic"),
    ("transport", "toyota"): _slugs("hiace hilux proace proace-city"),
    ("transport", "volkswagen"): _slugs("amarok caddy crafter id-buzz-cargo transporter"),
}

ONLY_ELECTRIC: frozenset[tuple[str, str]] = frozenset({("car", "tesla")})
"""Assumption (a rule syncd does not know, so that ``validate --remote`` has something to
find): the API checks fuels against its vehicle database, where these brands build
electric cars only."""

BODY_TYPES = _slugs("sedan station-wagon hatchback suv coupe convertible minivan pickup van other")
FUELS = _slugs("petrol diesel electric hybrid plugin-hybrid ethanol gas hydrogen other")
TRANSMISSIONS = _slugs("manual automatic semi-automatic")
COLORS = _slugs("black white silver grey blue red green yellow brown beige orange purple other")
ATTRIBUTES = _slugs("brands models body_types fuels transmissions colors")
VEHICLE_TYPES = _slugs(
    "car transport motorcycle moped snowmobile atv camper caravan trailer boat "
    "agriculture-thresher agriculture-tractor agriculture-tools bus truck construction"
)


def brands(vehicle_type: str) -> tuple[str, ...]:
    """The brand slugs of a vehicle type (empty when the sandbox has no list)."""
    return BRANDS.get(vehicle_type, ())


def models(vehicle_type: str, brand: str) -> tuple[str, ...] | None:
    """The model slugs of a brand, or None when the sandbox does not list them."""
    return MODELS.get((vehicle_type, brand))


def label(slug: str) -> str:
    """A display name for a slug (``mercedes-benz`` → ``Mercedes-Benz``)."""
    return "-".join(part.capitalize() for part in slug.split("-"))


def values(vehicle_type: str, attribute: str, brand: str | None = None) -> tuple[str, ...] | None:
    """The values of one attribute; None when the attribute is unknown."""
    table: dict[str, tuple[str, ...]] = {
        "brands": brands(vehicle_type),
        "models": (models(vehicle_type, brand) or ()) if brand else (),
        "body_types": BODY_TYPES,
        "fuels": FUELS,
        "transmissions": TRANSMISSIONS,
        "colors": COLORS,
    }
    return table.get(attribute)
