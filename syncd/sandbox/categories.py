"""Sandbox: the Pro Import API's category table, transcribed from the seed, not from syncd's.

The rows are the seed's ``category_id`` table as the seed writes it (id, path, and
the third column's mark), parsed once at import; what the sandbox derives from
them (registered vehicle at an API version, the typed v4 paths that accept a
category, supported or not) is answered by :class:`Category`. This is an
independent reading: tests diff it against ``syncd.core.categories`` so that a
misreading on either side shows up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """The seed's third column ("Category specific fields") for one category."""

    PLAIN = "plain"  # empty: no category-specific fields
    FIELDS = "fields"  # "Yes"
    V4 = "v4"  # "✨ V4": full registered-vehicle support only through /v4/ad
    UNSUPPORTED = "unsupported"  # "(not yet supported)", written after the path


# The marks the seed writes at the end of a row. Assumption: no path itself ends in
# one of them (true of every row), so a trailing mark is always the third column.
_MARKS = ((" Yes", Kind.FIELDS), (" ✨ V4", Kind.V4), (" (not yet supported)", Kind.UNSUPPORTED))

# The seed's table, row by row, in the seed's order and spelling.
_SEED_TABLE = """
1020 Vehicles > Cars Yes
1021 Vehicles > Vans Yes
1045 Vehicles > Trailer ✨ V4
1101 Vehicles > Caravan ✨ V4
1102 Vehicles > Motorhome ✨ V4
1121 Vehicles > Mopeds & A-Tractors > Mopeds ✨ V4
1140 Vehicles > Motorcycle Yes
1143 Vehicles > ATV Yes
1180 Vehicles > Snowmobile Yes
1041 Vehicles > Car Parts & Accessories > Car Stereo
1042 Vehicles > Car Parts & Accessories > Tyres & Rims
1043 Vehicles > Car Parts & Accessories > GPS
1044 Vehicles > Car Parts & Accessories > Spare Parts
1046 Vehicles > Car Parts & Accessories > Roof Boxes & Roof Racks
1047 Vehicles > Car Parts & Accessories > Other
1061 Vehicles > Boats > Motorboat Yes
1062 Vehicles > Boats > Sailboat Yes
1063 Vehicles > Boats > Inflatable / RIB Boat
1064 Vehicles > Boats > Dinghy / Rowboat
1065 Vehicles > Boats > Kayak / Canoe
1066 Vehicles > Boats > Jet Ski
1067 Vehicles > Boats > Other
1081 Vehicles > Boat Parts & Accessories > Engine & Propeller
1082 Vehicles > Boat Parts & Accessories > GPS & Navigation
1083 Vehicles > Boat Parts & Accessories > Moorings & Storage
1084 Vehicles > Boat Parts & Accessories > Trailer
1085 Vehicles > Boat Parts & Accessories > Other
1103 Vehicles > Caravans & Motorhomes > Accessories
1122 Vehicles > Mopeds & A-Tractors > A-Tractors Yes
1123 Vehicles > Mopeds & A-Tractors > Accessories
1161 Vehicles > Motorcycle Parts & Accessories > Tyres & Rims
1162 Vehicles > Motorcycle Parts & Accessories > Spare Parts
1163 Vehicles > Motorcycle Parts & Accessories > Helmets / Protection / Clothing
1164 Vehicles > Motorcycle Parts & Accessories > Other
1200 Vehicles > Snowmobile Parts & Accessories
1221 Vehicles > Trucks, Machinery & Construction > Truck & Bus
1222 Vehicles > Forestry & Agricultural Machinery > Agricultural Machinery
1223 Vehicles > Trucks, Machinery & Construction > Construction Machinery
1224 Vehicles > Trucks, Machinery & Construction > Truck & Material Handling
1225 Vehicles > Forestry & Agricultural Machinery > Forestry Machinery
1226 Vehicles > Forestry & Agricultural Machinery > Ground Care Machinery
2021 Home > Building & Garden > Bathroom / WC / Sauna
2022 Home > Building & Garden > Building Materials
2023 Home > Building & Garden > Fireplace & Heating
2024 Home > Building & Garden > Kitchen
2025 Home > Building & Garden > Garden & Outdoor
2026 Home > Tools
2027 Home > Building & Garden > Other
2028 Home > Building & Garden > Garden Machinery
2041 Home > Furniture & Interior > Antiques & Art
2042 Home > Furniture & Interior > Lighting
2043 Home > Furniture & Interior > Tables & Chairs
2044 Home > Furniture & Interior > Rugs & Carpets
2045 Home > Furniture & Interior > Shelves & Storage
2046 Home > Furniture & Interior > Home Textiles & Décor
2047 Home > Furniture & Interior > Bed & Bedroom
2048 Home > Furniture & Interior > Sofa / Armchair / Suite
2049 Home > Furniture & Interior > TV & Stereo Furniture
2050 Home > Furniture & Interior > Other
2061 Home > Appliances > Dishwasher
2062 Home > Appliances > Fridge & Freezer
2063 Home > Appliances > Kitchen Accessories & Tableware
2064 Home > Appliances > Stove & Microwave
2065 Home > Appliances > Washing Machine & Dryer
2066 Home > Appliances > Other
4020 Personal > Children's Clothing & Shoes (not yet supported)
4041 Personal > Baby & Toys > Children's Furniture
4042 Personal > Baby & Toys > Prams & Accessories
4043 Personal > Baby & Toys > Car Seats
4044 Personal > Baby & Toys > Toys
4045 Personal > Baby & Toys > Other
4061 Personal > Accessories & Watches > Watches
4062 Personal > Accessories & Watches > Jewellery
4063 Personal > Accessories & Watches > Bags
4064 Personal > Accessories & Watches > Other
4080 Personal > Clothing & Shoes (not yet supported)
5021 Electronics > Computers & Gaming > Desktop Computers
5022 Electronics > Computers & Gaming > Laptops
5023 Electronics > Computers & Gaming > Computer Accessories & Software
5024 Electronics > Computers & Gaming > PC Games & Online Games
5025 Electronics > Computers & Gaming > Video Games
5026 Electronics > Computers & Gaming > Other
5027 Electronics > Computers & Gaming > Tablets
5041 Electronics > Audio & Video > Movies & Music
5042 Electronics > Audio & Video > Photo & Video Cameras
5043 Electronics > Audio & Video > MP3 Players
5044 Electronics > Audio & Video > Stereo & Surround
5045 Electronics > Audio & Video > Video & DVD Players
5046 Electronics > Audio & Video > TV & Projector
5047 Electronics > Audio & Video > Other
5061 Electronics > Phones & Accessories > Phones
5062 Electronics > Phones & Accessories > Accessories
6021 Leisure & Hobbies > Experiences & Entertainment > Concert
6022 Leisure & Hobbies > Experiences & Entertainment > Theatre & Show
6023 Leisure & Hobbies > Experiences & Entertainment > Gift Cards
6025 Leisure & Hobbies > Experiences & Entertainment > Sport
6026 Leisure & Hobbies > Experiences & Entertainment > Other
6031 Leisure & Hobbies > Experiences & Entertainment > Train Tickets
6032 Leisure & Hobbies > Experiences & Entertainment > Package, Charter & Theme Trips
6034 Leisure & Hobbies > Experiences & Entertainment > Flight Tickets
6035 Leisure & Hobbies > Experiences & Entertainment > Hotels & Accommodation
6040 Leisure & Hobbies > Books & Student Literature
6061 Leisure & Hobbies > Bicycles > Women's Bicycles
6062 Leisure & Hobbies > Bicycles > Men's Bicycles
6063 Leisure & Hobbies > Bicycles > Children's Bicycles
6064 Leisure & Hobbies > Bicycles > Mountain Bike
6065 Leisure & Hobbies > Bicycles > Road Bike
6066 Leisure & Hobbies > Bicycles > Other Bicycles
6067 Leisure & Hobbies > Bicycles > Accessories
6081 Leisure & Hobbies > Animals > Dog
6082 Leisure & Hobbies > Animals > Cat
6083 Leisure & Hobbies > Animals > Rodents & Rabbits
6084 Leisure & Hobbies > Animals > Reptile
6085 Leisure & Hobbies > Animals > Bird
6086 Leisure & Hobbies > Animals > Fish
6087 Leisure & Hobbies > Animals > Other Animals
6088 Leisure & Hobbies > Animals > Accessories
6089 Leisure & Hobbies > Animals > Cat & Dog Accessories
6090 Leisure & Hobbies > Animals > Farm Animals
6101 Leisure & Hobbies > Hobbies & Collectibles > Stamps & Coins
6102 Leisure & Hobbies > Hobbies & Collectibles > Hobby Vehicles
6103 Leisure & Hobbies > Hobbies & Collectibles > Remote Control & Model
6104 Leisure & Hobbies > Hobbies & Collectibles > Comic Books
6105 Leisure & Hobbies > Hobbies & Collectibles > Sewing Machine & Textiles
6106 Leisure & Hobbies > Hobbies & Collectibles > Historical Items
6107 Leisure & Hobbies > Hobbies & Collectibles > Other
6121 Leisure & Hobbies > Horses & Equestrian > Horses
6122 Leisure & Hobbies > Horses & Equestrian > Equipment
6123 Leisure & Hobbies > Horses & Equestrian > Feed & Stable
6124 Leisure & Hobbies > Horses & Equestrian > Co-rider & Feed Host
6125 Leisure & Hobbies > Horses & Equestrian > Trailer & Transport
6126 Leisure & Hobbies > Horses & Equestrian > Other
6127 Leisure & Hobbies > Horses & Equestrian > Pony
6141 Leisure & Hobbies > Hunting & Fishing > Hunting Yes
6142 Leisure & Hobbies > Hunting & Fishing > Fishing
6143 Leisure & Hobbies > Hunting & Fishing > Other
6161 Leisure & Hobbies > Music Equipment > Guitar / Bass / Amplifier
6162 Leisure & Hobbies > Music Equipment > Piano & Keyboard
6163 Leisure & Hobbies > Music Equipment > Accordion
6164 Leisure & Hobbies > Music Equipment > Wind Instruments
6165 Leisure & Hobbies > Music Equipment > Drums & Percussion
6166 Leisure & Hobbies > Music Equipment > Studio & Stage Equipment
6167 Leisure & Hobbies > Music Equipment > Other
6181 Leisure & Hobbies > Sports & Leisure Equipment > Ball Sports
6182 Leisure & Hobbies > Sports & Leisure Equipment > Camping & Outdoor
6183 Leisure & Hobbies > Sports & Leisure Equipment > Diving & Water Sports
6184 Leisure & Hobbies > Sports & Leisure Equipment > Golf
6185 Leisure & Hobbies > Sports & Leisure Equipment > Fitness & Health
6186 Leisure & Hobbies > Sports & Leisure Equipment > Winter Sports
6187 Leisure & Hobbies > Sports & Leisure Equipment > Other
7021 Business > Business Transfers > Shop
7022 Business > Business Transfers > Domains & Websites
7023 Business > Business Transfers > Hair Salon
7024 Business > Business Transfers > Restaurant & Café
7025 Business > Business Transfers > Other
7041 Business > Fixtures & Machinery > Shop & Checkout
7042 Business > Fixtures & Machinery > Hair & Beauty Salon
7043 Business > Fixtures & Machinery > Office
7044 Business > Fixtures & Machinery > Industrial Machinery
7045 Business > Fixtures & Machinery > Restaurant & Café
7046 Business > Fixtures & Machinery > Wholesale & Liquidation Stock
7047 Business > Fixtures & Machinery > Other
7061 Business > Premises & Properties > Shops
7062 Business > Premises & Properties > Industry & Workshop
7063 Business > Premises & Properties > Warehouse & Storage
7064 Business > Premises & Properties > Office
7066 Business > Premises & Properties > Other
8020 Other > Wanted Ads
8040 Other > Other
"""

# Registered vehicles. The seed names "cars & vans" (not revived by PUT/PATCH) and
# gives the ✨ V4 rows "full registered vehicle support"; api-notes.md lists them all:
# cars, vans, motorcycles, mopeds, snowmobiles, ATVs, campers, caravans, trailers;
# below in the seed's terms: Cars, Vans, Motorcycle, Mopeds, Snowmobile, ATV,
# Motorhome (the notes' "campers"), Caravan, Trailer. Assumptions:
# * A-Tractors (1122, "Yes") are not: the notes list mopeds only, and neither side of
#   the seed's v3/v4 compatibility table names them.
# * "Trailer" is the row 1045; the trailers under boat parts (1084) and horses (6125)
#   are plain ads, as are the boats (1061, 1062), whose "Yes" fields are not vehicle ones.
_REGISTERED = frozenset({1020, 1021, 1140, 1121, 1180, 1143, 1102, 1101, 1045})

# Typed v4 paths (api-notes.md: POST /v4/car, PATCH /v4/car/{source_id}, ...): the
# notes list the types but tie none of them to a category id, so which categories a
# typed path accepts is the sandbox's reading of the category names. A category's
# first type is its own: the one its vehicle fields are checked against.
_TYPED_PATHS: dict[int, tuple[str, ...]] = {
    1020: ("car",),
    1021: ("transport",),  # Vans: Blocket's "transportbilar"
    1140: ("motorcycle",),
    1121: ("moped",),
    1180: ("snowmobile",),
    1143: ("atv",),
    1102: ("camper",),  # Motorhome
    1101: ("caravan",),
    1045: ("trailer",),
    # Assumption: "boat" is the two boats with specific fields; inflatables, dinghies,
    # kayaks, jet skis and other boats (1063-1067) have no typed path.
    1061: ("boat",),
    1062: ("boat",),
    # Assumption: the only bus category is "Truck & Bus", and threshers and tractors
    # are "Agricultural Machinery"; material handling, forestry and ground care
    # machinery (1224-1226) have no typed path.
    1221: ("truck", "bus"),
    1222: ("agriculture-tools", "agriculture-thresher", "agriculture-tractor"),
    1223: ("construction",),
}


@dataclass(frozen=True, slots=True)
class Category:
    """One row of the seed's table, with what the sandbox derives from it."""

    id: int
    path: str
    kind: Kind
    registered: bool = False  # a registered vehicle, at least through /v4/ad
    typed_paths: tuple[str, ...] = ()  # the typed v4 paths that accept it, its own first

    @property
    def supported(self) -> bool:
        """False for the rows the seed marks "(not yet supported)"."""
        return self.kind is not Kind.UNSUPPORTED

    @property
    def v4_only(self) -> bool:
        """True for the ✨ V4 rows: their vehicle fields exist only through /v4/ad.

        The seed's v3/v4 compatibility table names the same four (Moped, Camper,
        Caravan, Trailer) as "incompatible": PUT/PATCH through v4 of a v3 ad is blocked.
        """
        return self.kind is Kind.V4

    @property
    def vehicle_type(self) -> str | None:
        """The category's own typed v4 path segment (``car``, ``boat``, ...), if any."""
        return self.typed_paths[0] if self.typed_paths else None

    def is_registered_vehicle(self, api_version: int) -> bool:
        """Registered vehicle at this API version.

        The seed's V4 note: the ✨ V4 categories "are only available as simple ads via
        the legacy /v3/ad endpoint", so through v3 they are plain ads.
        """
        return self.registered and (api_version >= 4 or not self.v4_only)

    def requires_category_fields(self, api_version: int) -> bool:
        """Whether ``category_fields`` must be sent.

        Assumption: the seed's "Yes (except for non-registered vehicles)" means
        required for registered vehicles only, and optional elsewhere, even where the
        row says "Yes" (boats, A-tractors, hunting): "Yes" for every category would
        ask furniture ads for fields that do not exist.
        """
        return self.is_registered_vehicle(api_version)


def _row(line: str) -> Category:
    number, _, path = line.partition(" ")
    kind = Kind.PLAIN
    for mark, marked in _MARKS:
        if path.endswith(mark):
            path, kind = path.removesuffix(mark), marked
            break
    cid = int(number)
    return Category(cid, path, kind, cid in _REGISTERED, _TYPED_PATHS.get(cid, ()))


CATEGORIES: dict[int, Category] = {c.id: c for c in map(_row, _SEED_TABLE.strip().splitlines())}


def category(category_id: int) -> Category | None:
    """The category with this id, or None when the seed does not list it."""
    return CATEGORIES.get(category_id)


def typed_categories(vehicle_type: str) -> frozenset[int]:
    """The categories a typed v4 path (``/v4/car``, ...) accepts (none for an unknown type)."""
    return frozenset(cid for cid, cat in CATEGORIES.items() if vehicle_type in cat.typed_paths)
