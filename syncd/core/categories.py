"""Core: the category table of the Pro Import API, as the seed document gives it.

Pure data and lookups: no I/O here. Every rule that depends on the category
(required fields, registered vehicles, v4-only categories, typed v4 paths) is
answered by :func:`category` so that validation, the planner, the client and the
sandbox agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """What the seed's third column says about a category."""

    PLAIN = "plain"  # no category-specific fields
    FIELDS = "fields"  # "Yes": category-specific fields exist
    V4 = "v4"  # "✨ V4": registered-vehicle support only through /v4/ad
    UNSUPPORTED = "unsupported"  # "(not yet supported)"


PLAIN, FIELDS, V4, UNSUPPORTED = Kind.PLAIN, Kind.FIELDS, Kind.V4, Kind.UNSUPPORTED

# Registered vehicles, per api-notes.md: cars, vans, motorcycles, mopeds,
# snowmobiles, ATVs, campers (motorhomes), caravans and trailers.
_REGISTERED = frozenset({1020, 1021, 1140, 1121, 1180, 1143, 1102, 1101, 1045})

# The v4 "typed paths" (api-notes.md: POST /v4/car, PATCH /v4/car/{source_id}, ...).
# Categories not listed here have no typed path and always use /v4/ad.
_VEHICLE_TYPES: dict[int, str] = {
    1020: "car",
    1021: "transport",
    1140: "motorcycle",
    1121: "moped",
    1180: "snowmobile",
    1143: "atv",
    1102: "camper",
    1101: "caravan",
    1045: "trailer",
    1061: "boat",
    1062: "boat",
    1221: "truck",
    1222: "agriculture-tools",
    1223: "construction",
}

_TABLE: tuple[tuple[int, str, Kind], ...] = (
    (1020, "Vehicles > Cars", FIELDS),
    (1021, "Vehicles > Vans", FIELDS),
    (1045, "Vehicles > Trailer", V4),
    (1101, "Vehicles > Caravan", V4),
    (1102, "Vehicles > Motorhome", V4),
    (1121, "Vehicles > Mopeds & A-Tractors > Mopeds", V4),
    (1140, "Vehicles > Motorcycle", FIELDS),
    (1143, "Vehicles > ATV", FIELDS),
    (1180, "Vehicles > Snowmobile", FIELDS),
    (1041, "Vehicles > Car Parts & Accessories > Car Stereo", PLAIN),
    (1042, "Vehicles > Car Parts & Accessories > Tyres & Rims", PLAIN),
    (1043, "Vehicles > Car Parts & Accessories > GPS", PLAIN),
    (1044, "Vehicles > Car Parts & Accessories > Spare Parts", PLAIN),
    (1046, "Vehicles > Car Parts & Accessories > Roof Boxes & Roof Racks", PLAIN),
    (1047, "Vehicles > Car Parts & Accessories > Other", PLAIN),
    (1061, "Vehicles > Boats > Motorboat", FIELDS),
    (1062, "Vehicles > Boats > Sailboat", FIELDS),
    (1063, "Vehicles > Boats > Inflatable / RIB Boat", PLAIN),
    (1064, "Vehicles > Boats > Dinghy / Rowboat", PLAIN),
    (1065, "Vehicles > Boats > Kayak / Canoe", PLAIN),
    (1066, "Vehicles > Boats > Jet Ski", PLAIN),
    (1067, "Vehicles > Boats > Other", PLAIN),
    (1081, "Vehicles > Boat Parts & Accessories > Engine & Propeller", PLAIN),
    (1082, "Vehicles > Boat Parts & Accessories > GPS & Navigation", PLAIN),
    (1083, "Vehicles > Boat Parts & Accessories > Moorings & Storage", PLAIN),
    (1084, "Vehicles > Boat Parts & Accessories > Trailer", PLAIN),
    (1085, "Vehicles > Boat Parts & Accessories > Other", PLAIN),
    (1103, "Vehicles > Caravans & Motorhomes > Accessories", PLAIN),
    (1122, "Vehicles > Mopeds & A-Tractors > A-Tractors", FIELDS),
    (1123, "Vehicles > Mopeds & A-Tractors > Accessories", PLAIN),
    (1161, "Vehicles > Motorcycle Parts & Accessories > Tyres & Rims", PLAIN),
    (1162, "Vehicles > Motorcycle Parts & Accessories > Spare Parts", PLAIN),
    (1163, "Vehicles > Motorcycle Parts & Accessories > Helmets / Protection / Clothing", PLAIN),
    (1164, "Vehicles > Motorcycle Parts & Accessories > Other", PLAIN),
    (1200, "Vehicles > Snowmobile Parts & Accessories", PLAIN),
    (1221, "Vehicles > Trucks, Machinery & Construction > Truck & Bus", PLAIN),
    (1222, "Vehicles > Forestry & Agricultural Machinery > Agricultural Machinery", PLAIN),
    (1223, "Vehicles > Trucks, Machinery & Construction > Construction Machinery", PLAIN),
    (1224, "Vehicles > Trucks, Machinery & Construction > Truck & Material Handling", PLAIN),
    (1225, "Vehicles > Forestry & Agricultural Machinery > Forestry Machinery", PLAIN),
    (1226, "Vehicles > Forestry & Agricultural Machinery > Ground Care Machinery", PLAIN),
    (2021, "Home > Building & Garden > Bathroom / WC / Sauna", PLAIN),
    (2022, "Home > Building & Garden > Building Materials", PLAIN),
    (2023, "Home > Building & Garden > Fireplace & Heating", PLAIN),
    (2024, "Home > Building & Garden > Kitchen", PLAIN),
    (2025, "Home > Building & Garden > Garden & Outdoor", PLAIN),
    (2026, "Home > Tools", PLAIN),
    (2027, "Home > Building & Garden > Other", PLAIN),
    (2028, "Home > Building & Garden > Garden Machinery", PLAIN),
    (2041, "Home > Furniture & Interior > Antiques & Art", PLAIN),
    (2042, "Home > Furniture & Interior > Lighting", PLAIN),
    (2043, "Home > Furniture & Interior > Tables & Chairs", PLAIN),
    (2044, "Home > Furniture & Interior > Rugs & Carpets", PLAIN),
    (2045, "Home > Furniture & Interior > Shelves & Storage", PLAIN),
    (2046, "Home > Furniture & Interior > Home Textiles & Décor", PLAIN),
    (2047, "Home > Furniture & Interior > Bed & Bedroom", PLAIN),
    (2048, "Home > Furniture & Interior > Sofa / Armchair / Suite", PLAIN),
    (2049, "Home > Furniture & Interior > TV & Stereo Furniture", PLAIN),
    (2050, "Home > Furniture & Interior > Other", PLAIN),
    (2061, "Home > Appliances > Dishwasher", PLAIN),
    (2062, "Home > Appliances > Fridge & Freezer", PLAIN),
    (2063, "Home > Appliances > Kitchen Accessories & Tableware", PLAIN),
    (2064, "Home > Appliances > Stove & Microwave", PLAIN),
    (2065, "Home > Appliances > Washing Machine & Dryer", PLAIN),
    (2066, "Home > Appliances > Other", PLAIN),
    (4020, "Personal > Children's Clothing & Shoes", UNSUPPORTED),
    (4041, "Personal > Baby & Toys > Children's Furniture", PLAIN),
    (4042, "Personal > Baby & Toys > Prams & Accessories", PLAIN),
    (4043, "Personal > Baby & Toys > Car Seats", PLAIN),
    (4044, "Personal > Baby & Toys > Toys", PLAIN),
    (4045, "Personal > Baby & Toys > Other", PLAIN),
    (4061, "Personal > Accessories & Watches > Watches", PLAIN),
    (4062, "Personal > Accessories & Watches > Jewellery", PLAIN),
    (4063, "Personal > Accessories & Watches > Bags", PLAIN),
    (4064, "Personal > Accessories & Watches > Other", PLAIN),
    (4080, "Personal > Clothing & Shoes", UNSUPPORTED),
    (5021, "Electronics > Computers & Gaming > Desktop Computers", PLAIN),
    (5022, "Electronics > Computers & Gaming > Laptops", PLAIN),
    (5023, "Electronics > Computers & Gaming > Computer Accessories & Software", PLAIN),
    (5024, "Electronics > Computers & Gaming > PC Games & Online Games", PLAIN),
    (5025, "Electronics > Computers & Gaming > Video Games", PLAIN),
    (5026, "Electronics > Computers & Gaming > Other", PLAIN),
    (5027, "Electronics > Computers & Gaming > Tablets", PLAIN),
    (5041, "Electronics > Audio & Video > Movies & Music", PLAIN),
    (5042, "Electronics > Audio & Video > Photo & Video Cameras", PLAIN),
    (5043, "Electronics > Audio & Video > MP3 Players", PLAIN),
    (5044, "Electronics > Audio & Video > Stereo & Surround", PLAIN),
    (5045, "Electronics > Audio & Video > Video & DVD Players", PLAIN),
    (5046, "Electronics > Audio & Video > TV & Projector", PLAIN),
    (5047, "Electronics > Audio & Video > Other", PLAIN),
    (5061, "Electronics > Phones & Accessories > Phones", PLAIN),
    (5062, "Electronics > Phones & Accessories > Accessories", PLAIN),
    (6021, "Leisure & Hobbies > Experiences & Entertainment > Concert", PLAIN),
    (6022, "Leisure & Hobbies > Experiences & Entertainment > Theatre & Show", PLAIN),
    (6023, "Leisure & Hobbies > Experiences & Entertainment > Gift Cards", PLAIN),
    (6025, "Leisure & Hobbies > Experiences & Entertainment > Sport", PLAIN),
    (6026, "Leisure & Hobbies > Experiences & Entertainment > Other", PLAIN),
    (6031, "Leisure & Hobbies > Experiences & Entertainment > Train Tickets", PLAIN),
    (
        6032,
        "Leisure & Hobbies > Experiences & Entertainment > Package, Charter & Theme Trips",
        PLAIN,
    ),
    (6034, "Leisure & Hobbies > Experiences & Entertainment > Flight Tickets", PLAIN),
    (6035, "Leisure & Hobbies > Experiences & Entertainment > Hotels & Accommodation", PLAIN),
    (6040, "Leisure & Hobbies > Books & Student Literature", PLAIN),
    (6061, "Leisure & Hobbies > Bicycles > Women's Bicycles", PLAIN),
    (6062, "Leisure & Hobbies > Bicycles > Men's Bicycles", PLAIN),
    (6063, "Leisure & Hobbies > Bicycles > Children's Bicycles", PLAIN),
    (6064, "Leisure & Hobbies > Bicycles > Mountain Bike", PLAIN),
    (6065, "Leisure & Hobbies > Bicycles > Road Bike", PLAIN),
    (6066, "Leisure & Hobbies > Bicycles > Other Bicycles", PLAIN),
    (6067, "Leisure & Hobbies > Bicycles > Accessories", PLAIN),
    (6081, "Leisure & Hobbies > Animals > Dog", PLAIN),
    (6082, "Leisure & Hobbies > Animals > Cat", PLAIN),
    (6083, "Leisure & Hobbies > Animals > Rodents & Rabbits", PLAIN),
    (6084, "Leisure & Hobbies > Animals > Reptile", PLAIN),
    (6085, "Leisure & Hobbies > Animals > Bird", PLAIN),
    (6086, "Leisure & Hobbies > Animals > Fish", PLAIN),
    (6087, "Leisure & Hobbies > Animals > Other Animals", PLAIN),
    (6088, "Leisure & Hobbies > Animals > Accessories", PLAIN),
    (6089, "Leisure & Hobbies > Animals > Cat & Dog Accessories", PLAIN),
    (6090, "Leisure & Hobbies > Animals > Farm Animals", PLAIN),
    (6101, "Leisure & Hobbies > Hobbies & Collectibles > Stamps & Coins", PLAIN),
    (6102, "Leisure & Hobbies > Hobbies & Collectibles > Hobby Vehicles", PLAIN),
    (6103, "Leisure & Hobbies > Hobbies & Collectibles > Remote Control & Model", PLAIN),
    (6104, "Leisure & Hobbies > Hobbies & Collectibles > Comic Books", PLAIN),
    (6105, "Leisure & Hobbies > Hobbies & Collectibles > Sewing Machine & Textiles", PLAIN),
    (6106, "Leisure & Hobbies > Hobbies & Collectibles > Historical Items", PLAIN),
    (6107, "Leisure & Hobbies > Hobbies & Collectibles > Other", PLAIN),
    (6121, "Leisure & Hobbies > Horses & Equestrian > Horses", PLAIN),
    (6122, "Leisure & Hobbies > Horses & Equestrian > Equipment", PLAIN),
    (6123, "Leisure & Hobbies > Horses & Equestrian > Feed & Stable", PLAIN),
    (6124, "Leisure & Hobbies > Horses & Equestrian > Co-rider & Feed Host", PLAIN),
    (6125, "Leisure & Hobbies > Horses & Equestrian > Trailer & Transport", PLAIN),
    (6126, "Leisure & Hobbies > Horses & Equestrian > Other", PLAIN),
    (6127, "Leisure & Hobbies > Horses & Equestrian > Pony", PLAIN),
    (6141, "Leisure & Hobbies > Hunting & Fishing > Hunting", FIELDS),
    (6142, "Leisure & Hobbies > Hunting & Fishing > Fishing", PLAIN),
    (6143, "Leisure & Hobbies > Hunting & Fishing > Other", PLAIN),
    (6161, "Leisure & Hobbies > Music Equipment > Guitar / Bass / Amplifier", PLAIN),
    (6162, "Leisure & Hobbies > Music Equipment > Piano & Keyboard", PLAIN),
    (6163, "Leisure & Hobbies > Music Equipment > Accordion", PLAIN),
    (6164, "Leisure & Hobbies > Music Equipment > Wind Instruments", PLAIN),
    (6165, "Leisure & Hobbies > Music Equipment > Drums & Percussion", PLAIN),
    (6166, "Leisure & Hobbies > Music Equipment > Studio & Stage Equipment", PLAIN),
    (6167, "Leisure & Hobbies > Music Equipment > Other", PLAIN),
    (6181, "Leisure & Hobbies > Sports & Leisure Equipment > Ball Sports", PLAIN),
    (6182, "Leisure & Hobbies > Sports & Leisure Equipment > Camping & Outdoor", PLAIN),
    (6183, "Leisure & Hobbies > Sports & Leisure Equipment > Diving & Water Sports", PLAIN),
    (6184, "Leisure & Hobbies > Sports & Leisure Equipment > Golf", PLAIN),
    (6185, "Leisure & Hobbies > Sports & Leisure Equipment > Fitness & Health", PLAIN),
    (6186, "Leisure & Hobbies > Sports & Leisure Equipment > Winter Sports", PLAIN),
    (6187, "Leisure & Hobbies > Sports & Leisure Equipment > Other", PLAIN),
    (7021, "Business > Business Transfers > Shop", PLAIN),
    (7022, "Business > Business Transfers > Domains & Websites", PLAIN),
    (7023, "Business > Business Transfers > Hair Salon", PLAIN),
    (7024, "Business > Business Transfers > Restaurant & Café", PLAIN),
    (7025, "Business > Business Transfers > Other", PLAIN),
    (7041, "Business > Fixtures & Machinery > Shop & Checkout", PLAIN),
    (7042, "Business > Fixtures & Machinery > Hair & Beauty Salon", PLAIN),
    (7043, "Business > Fixtures & Machinery > Office", PLAIN),
    (7044, "Business > Fixtures & Machinery > Industrial Machinery", PLAIN),
    (7045, "Business > Fixtures & Machinery > Restaurant & Café", PLAIN),
    (7046, "Business > Fixtures & Machinery > Wholesale & Liquidation Stock", PLAIN),
    (7047, "Business > Fixtures & Machinery > Other", PLAIN),
    (7061, "Business > Premises & Properties > Shops", PLAIN),
    (7062, "Business > Premises & Properties > Industry & Workshop", PLAIN),
    (7063, "Business > Premises & Properties > Warehouse & Storage", PLAIN),
    (7064, "Business > Premises & Properties > Office", PLAIN),
    (7066, "Business > Premises & Properties > Other", PLAIN),
    (8020, "Other > Wanted Ads", PLAIN),
    (8040, "Other > Other", PLAIN),
)


@dataclass(frozen=True, slots=True)
class Category:
    """One row of the seed's category table, with the rules derived from it."""

    id: int
    path: str
    kind: Kind

    @property
    def supported(self) -> bool:
        """False for the categories the seed marks "(not yet supported)"."""
        return self.kind is not Kind.UNSUPPORTED

    @property
    def vehicle_type(self) -> str | None:
        """The typed v4 path segment (``car``, ``boat``, ...), if the category has one."""
        return _VEHICLE_TYPES.get(self.id)

    def is_registered_vehicle(self, api_version: int) -> bool:
        """Registered vehicle at this API version.

        Assumption (seed, "V4 note"): the ✨ V4 categories are registered vehicles
        only through /v4/ad; through /v3/ad they are simple ads, with a title and
        contact like any other ad.
        """
        if self.id not in _REGISTERED:
            return False
        return api_version >= 4 or self.kind is not Kind.V4

    def requires_category_fields(self, api_version: int) -> bool:
        """Whether ``category_fields`` must be sent.

        Assumption: the seed says category_fields is required "except for
        non-registered vehicles"; syncd reads that as: required for registered
        vehicles (which need at least ``model_year``), optional elsewhere, even in
        categories whose specific fields exist (boats, A-tractors, hunting).
        """
        return self.is_registered_vehicle(api_version)


CATEGORIES: dict[int, Category] = {cid: Category(cid, path, kind) for cid, path, kind in _TABLE}


def category(category_id: int) -> Category | None:
    """The category with this id, or None when the seed does not list it."""
    return CATEGORIES.get(category_id)
