"""The web shop's product CSV and the Google Merchant RSS examples map to exactly these ads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from syncd import bootstrap, config
from syncd.cli import main
from tests.settle import at_once, copy_example, read

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SHOP = "https://butik.mobelhuset.example/wp-content/uploads/2024/{}.jpg"
SHOP_CONTACT = {"name": "Möbelhuset i Västerås", "phone": "+4621123450"}
TYRES = "https://www.dackcentralen.example/{}"
TYRE_CONTACT = {
    "name": "Däckcentralen i Umeå",
    "phone": "090123456",
    "email": "butik@dackcentralen.example",
}


def _sek(amount: int, kind: str = "list") -> dict[str, Any]:
    return {"type": kind, "amount": amount, "currency": "SEK"}


EXPECTED: dict[str, list[dict[str, Any]]] = {
    "webbutik-csv": [
        {
            "source_id": "MB-EK-180",
            "category_id": 2043,
            "title": "Matbord Ek 180 cm",
            "body": "Matbord i massiv ek, 180 x 90 cm.\n\n- Oljad yta\n\n- Plats för 8",
            "price": [{"type": "list", "amount": 4995}, {"type": "reduced", "amount": 3995}],
            "image_urls": [SHOP.format(f"03/matbord-ek-{i}") for i in (1, 2, 3)],
            "location": {"zipcode": "72212"},
            "contact": {**SHOP_CONTACT, "email": "order@mobelhuset.example"},
        },
        {
            "source_id": "SO-3S-GRA",
            "category_id": 2048,
            "title": "Soffa Linnea 3-sits",
            "body": "Tresitssoffa med avtagbar klädsel & fjädrande sits.",
            "price": [{"type": "list", "amount": 12990}],
            "image_urls": [SHOP.format("02/linnea-1")],
            "location": {"zipcode": "72212"},
            "contact": {**SHOP_CONTACT, "email": "order@mobelhuset.example"},
        },
        {
            "source_id": "BO-RUND-90",
            "category_id": 2043,
            "title": "Bord Rund 90",
            "body": "Runt bord,\nØ 90 cm.",
            "price": [{"type": "list", "amount": 2450}],
            "image_urls": [SHOP.format("01/rund-1"), SHOP.format("01/rund-2")],
            "location": {"zipcode": "72212"},
            "contact": {**SHOP_CONTACT, "email": "info@mobelhuset.example"},
        },
    ],
    "google-merchant-rss": [
        {
            "source_id": "NOK-R5-2055516",
            "category_id": 1042,
            "title": "Nokian Hakkapeliitta R5 205/55 R16 \u2013 4 st",
            "body": "Friktionsdäck för nordisk vinter.\nPris för fyra däck & montering ingår.",
            "url": TYRES.format("p/nok-r5-2055516"),
            "price": [_sek(5996), _sek(4796, "reduced")],
            "image_urls": [TYRES.format(f"img/nok-r5/{i}.jpg") for i in (1, 2, 3)],
            "location": {"zipcode": "90326"},
            "contact": TYRE_CONTACT,
        },
        {
            "source_id": "FLG-OZ-17-5X112",
            "category_id": 1042,
            "title": 'OZ Racing Ultraleggera 17" 5x112 \u2013 begagnade',
            "body": "Fyra fälgar, små repor på en.\nPassar VW, Audi & Skoda.",
            "url": TYRES.format("p/flg-oz-17-5x112"),
            "price": [_sek(7500)],
            "image_urls": [TYRES.format("img/flg-oz/1.jpg")],
            "location": {"zipcode": "90326"},
            "contact": TYRE_CONTACT,
        },
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_maps_to_the_expected_payloads(name: str):
    """The example's export, read through its config's mapping, gives exactly these ads."""
    settings = at_once(config.load(EXAMPLES / name / "syncd.toml"))
    (job,) = bootstrap.feed_jobs(settings)
    records = read(job.reader, job.path).records
    assert [r.value() for r in records] == EXPECTED[name]
    assert all(r.issues == () for r in records)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_syncd_validate_exits_0_on_the_example(name: str, tmp_path: Path):
    """``syncd validate --json`` finds every item of the example valid and exits 0."""
    config_file = copy_example(EXAMPLES / name, tmp_path / name)
    result = CliRunner().invoke(main, ["--config", str(config_file), "validate", "--json"])
    assert result.exit_code == 0, result.output
    (report,) = orjson.loads(result.stdout)
    assert report["problems"] == []
    assert report["counts"] == {
        "items": len(EXPECTED[name]),
        "valid": len(EXPECTED[name]),
        "invalid": 0,
    }
