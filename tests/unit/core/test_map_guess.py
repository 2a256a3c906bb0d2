"""Guessing a starting mapping from column names and values, and writing it as TOML."""

from __future__ import annotations

import tomllib

from syncd.core.map import parse_mapping
from syncd.core.map.guess import guess, normalise
from syncd.core.map.starter import starter_toml


def targets(columns: dict[str, list[str]]) -> dict[str, object]:
    return {g.target: g.rule for g in guess(columns).rules}


def test_swedish_and_english_names_are_recognised():
    """regnr/märke/årsmodell and make/model/year find the same targets."""
    swedish = targets({"Regnr": ["ABC123"], "Märke": ["Volvo"], "Årsmodell": ["2019"]})
    english = targets({"plate": ["ABC123"], "make": ["Volvo"], "year": ["2019"]})
    assert (
        set(swedish)
        == set(english)
        >= {
            "category_fields.registration_number",
            "category_fields.brand",
            "category_fields.model_year",
        }
    )


def test_an_export_without_an_id_uses_the_registration_number_and_says_so():
    """No id column: source_id is the plate, with a note that it was guessed."""
    (rule,) = [g for g in guess({"Regnr": ["ABC123"]}).rules if g.target == "source_id"]
    assert (rule.rule, rule.note.startswith("guessed")) == ("Regnr", True)


def test_fuel_values_found_get_a_value_map_one_to_several_included():
    """Each distinct fuel is mapped; a compound value gives two fuels; an unknown is a TODO."""
    s = guess({"Drivmedel": ["Bensin", "Bensin/etanol", "Vätgas", "Bensin"]})
    assert s.maps["fuel"] == {
        "Bensin": "petrol",
        "Bensin/etanol": ["petrol", "ethanol"],
        "Vätgas": "hydrogen",
    }
    assert guess({"fuel": ["Kol"]}).map_notes["fuel"] == {"Kol": "TODO: not recognised"}


def test_mileage_in_swedish_mil_is_converted_and_the_unit_is_km():
    """A ``Miltal`` column is read in mil (10 km); the unit is the constant km."""
    rules = targets({"Regnr": ["A"], "Miltal": ["1 200"]})
    assert rules["category_fields.condition.mileage.value"] == {
        "source": "Miltal",
        "transforms": [{"unit": "mil"}],
    }
    assert rules["category_fields.condition.mileage.unit"] == {"const": "km"}


def test_images_in_one_cell_are_split_and_sold_rows_skipped():
    """``a.jpg, b.jpg`` is split on ``, ``; a status column with ``Såld`` becomes a skip rule."""
    s = guess(
        {"id": ["1", "2"], "Bilder": ["a.jpg, b.jpg", "c.jpg"], "Status": ["Till salu", "Såld"]}
    )
    assert {g.target: g.rule for g in s.rules}["image_urls"] == {
        "source": "Bilder",
        "transforms": [{"split": ", "}, {"take": 38}],
    }
    assert s.skip == [{"source": "Status", "equals": ["Såld"]}]


def test_names_are_normalised_without_accents_case_or_punctuation():
    """``Märke`` is ``marke``, ``Regular price`` is ``regularprice``, ``g:id`` is ``gid``."""
    assert [normalise(n) for n in ("Märke", "Regular price", "g:id")] == [
        "marke",
        "regularprice",
        "gid",
    ]


def test_the_starter_is_toml_whose_mapping_is_valid():
    """The text parses as TOML and its mapping passes the config's checks."""
    columns = {"Artikel nr": ['1 "a"'], "Pris": ["100 kr"], "Namn": ["Stol"], "Bild": ["x/1.jpg"]}
    text = starter_toml("a b.csv", {"format": "csv"}, {}, columns, guess(columns), records=1)
    (feed,) = tomllib.loads(text)["feeds"]
    assert feed["path"] == "a b.csv"
    parse_mapping(feed["mapping"])
