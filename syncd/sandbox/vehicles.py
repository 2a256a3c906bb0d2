"""Sandbox: the vehicle values the sandbox knows (``/v3/vehicle/*``, ``/v4/vehicles/*``).

Pure data and lookups: no I/O here. The real API's lists are not public; these
are a representative subset. Assumptions: ``brand``, ``body_type``, ``fuels``
and ``transmission`` are validated against these lists (the docs show
``"x" is not a valid choice.`` for brand); ``model`` is validated only for the
brands listed in ``MODELS`` and is otherwise a free slug.
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
    ("car", "volvo"): _slugs("c40 ex30 ex90 s60 s90 v40 v60 v70 v90 xc40 xc60 xc90"),
    ("car", "saab"): _slugs("9-3 9-5 900"),
    ("car", "volkswagen"): _slugs("golf id-3 id-4 passat polo tiguan touareg"),
    ("car", "tesla"): _slugs("model-3 model-s model-x model-y"),
    ("car", "toyota"): _slugs("auris corolla rav4 yaris"),
}

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
