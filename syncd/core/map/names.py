"""Core: the words exports use for the fields a mapping fills, in Swedish and English.

Pure data: no I/O here. Names are written normalised (lower case, accents
dropped, letters and digits only: ``Märke`` is ``marke``, ``g:image_link`` is
``gimagelink``); ``guess.py`` matches a sample's columns against them.
"""

from __future__ import annotations

# target -> the names (normalised: lower case, letters and digits only) that mean it.
NAMES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (target, frozenset(names.split()))
    for target, names in (
        ("source_id", "id gid sku artikelnr artnr lagernr objektnr stocknumber stockno annonsid"),
        ("dealer_code", "dealer dealerid dealercode handlare handlarid butik branch branchid"),
        ("title", "title titel rubrik name namn produktnamn gtitle"),
        ("body", "description beskrivning body text info ovrigt gdescription"),
        ("url", "link url lank produktlank"),
        ("price[type=list]", "price pris gprice regularprice listpris ordinariepris utpris"),
        ("price[type=reduced]", "saleprice kampanjpris reapris rea erbjudande gsaleprice"),
        ("image_urls", "images image bilder bild imageurl imagelink gimagelink pictures photos"),
        ("location.zipcode", "zipcode zip postnr postnummer postalcode postcode"),
        ("contact.name", "contact kontakt kontaktperson seller saljare"),
        ("contact.phone", "phone telefon tel mobil mobile phonenumber"),
        ("contact.email", "email epost mail emailaddress"),
        ("category_fields.registration_number",
         "regnr registreringsnummer regno registration plate licenseplate"),
        ("category_fields.vin", "vin chassinr chassinummer"),
        ("category_fields.brand", "brand make marke fabrikat tillverkare gbrand"),
        ("category_fields.model", "model modell"),
        ("category_fields.model_type", "variant version modelltyp trim"),
        ("category_fields.model_year", "arsmodell modellar year modelyear"),
        ("category_fields.in_traffic_date",
         "itrafik intrafik firstregistration forstaregistrering"),
        ("category_fields.color", "color colour farg"),
        ("category_fields.condition.mileage.value",
         "miltal mil matarstallning mileage km odometer"),
        ("category_fields.powertrain.fuels", "fuel fueltype drivmedel bransle"),
        ("category_fields.powertrain.transmission", "gearbox transmission vaxellada vaxel"),
    )
)  # fmt: skip
STATUS = frozenset({"status", "state", "availability", "gavailability", "sold", "sald"})
GONE = ("såld", "sald", "sold", "reserverad", "reserved", "out of stock", "deleted")
PUBLISH = frozenset(
    {"instock", "published", "publicerad", "visapablocket", "blocket", "active", "aktiv"}
)
HIDDEN = ("false", "0", "no", "nej")
GENERIC = frozenset({"value", "url", "text", "amount", "large", "src", "href", "name"})

FUELS: dict[str, tuple[str, ...]] = {
    "bensin": ("petrol",), "petrol": ("petrol",), "gasoline": ("petrol",), "benzin": ("petrol",),
    "diesel": ("diesel",), "el": ("electric",), "electric": ("electric",), "elbil": ("electric",),
    "ev": ("electric",), "etanol": ("ethanol",), "ethanol": ("ethanol",), "e85": ("ethanol",),
    "gas": ("gas",), "biogas": ("gas",), "cng": ("gas",), "fordonsgas": ("gas",),
    "vatgas": ("hydrogen",), "hydrogen": ("hydrogen",),
    "hybrid": ("petrol", "electric"), "laddhybrid": ("petrol", "electric"),
    "phev": ("petrol", "electric"), "plugin": ("petrol", "electric"),
}  # fmt: skip
GEARBOXES = {
    "manuell": "manual", "manual": "manual", "m": "manual",
    "automatisk": "automatic", "automat": "automatic", "automatic": "automatic",
    "auto": "automatic", "a": "automatic", "cvt": "automatic", "dsg": "automatic",
}  # fmt: skip
