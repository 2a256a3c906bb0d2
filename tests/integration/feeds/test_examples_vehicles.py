"""The boat dealer's .xlsx and the dealer group's JSON examples map to exactly these ads.

Run as ``python -m tests.integration.feeds.test_examples_vehicles`` to write
``examples/batar-xlsx/lager.xlsx`` again from :data:`BOATS` (deterministic bytes).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from syncd import bootstrap, config
from syncd.cli import main
from tests.settle import at_once, copy_example, read
from tests.xlsx_writer import Cell, xlsx_bytes

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
BOAT_IMG = "https://nackabatcenter.example/lager/{}/{}.jpg"
HEADER: list[Cell] = [
    "Artikelnr", "Typ", "Märke", "Modell", "Årsmodell", "Längd (m)", "Motor", "Pris",
    "Kampanjpris", "Inkommen", "Bild", "Bild", "Bild", "Beskrivning", "Status",
    "Visa på Blocket",
]  # fmt: skip
# fmt: off
BOATS: dict[str, list[list[Cell]]] = {
    "Lager": [
        HEADER,
        [1017, "Motorbåt", "Yamarin", "Cross 63 BR", 2019, 6.3, "Yamaha F115", 249900, 239900.0,
         date(2024, 3, 14), BOAT_IMG.format(1017, 1), None, BOAT_IMG.format(1017, 2),
         "Välskött, en ägare.\nVinterförvaring ingår. ", "Till salu", True],
        [1018, "Segelbåt", "Hallberg-Rassy", 31, 1979, 9.4, "Volvo Penta MD2030", 345000, None,
         date(2024, 2, 1), BOAT_IMG.format(1018, 1), BOAT_IMG.format(1018, 2), None,
         "Klassisk långfärdsbåt med nya segel.", "Till salu", True],
        [1019, "Motorbåt", "Buster", "L", 2021, 5.0, "Yamaha F60", 189000, None,
         date(2024, 1, 9), BOAT_IMG.format(1019, 1), None, None, "Såld.", "Såld", True],
        [1020, "Motorbåt", "Ryds", "488 GTS", 2023, 4.88, "Suzuki DF40", 124900, None,
         date(2024, 4, 2), None, None, None, "Kommer i maj.", "Till salu", False],
    ],
    "Anteckningar": [["Notering"], ["Priser inklusive moms."]],
}
# fmt: on
CONTACT = {"name": "Nacka Båtcenter", "phone": "087162030", "email": "info@nackabatcenter.example"}
GROUP_IMG = "https://media.vastkustbil.example/{}/{}/{}_l.jpg"


def _car(sid: str, dealer: str, zipcode: str, **fields: Any) -> dict[str, Any]:
    price, images = fields.pop("price"), fields.pop("images")
    return {
        "source_id": sid,
        "dealer_code": dealer,
        "category_id": 1020,
        "body": fields.pop("body"),
        "price": [{"type": "list", "amount": price, "currency": "SEK"}],
        **({"image_urls": images} if images else {}),
        "location": {"zipcode": zipcode},
        "category_fields": fields,
    }


def _used(mileage: int, fuels: list[str], gearbox: str, new: bool = False) -> dict[str, Any]:
    return {
        "condition": {"mileage": {"value": mileage, "unit": "km"}, "is_new_vehicle": new},
        "powertrain": {"fuels": fuels, "transmission": gearbox},
    }


EXPECTED: dict[str, list[dict[str, Any]]] = {
    "batar-xlsx": [
        {
            "source_id": "1017",
            "category_id": 1061,
            "title": "Yamarin Cross 63 BR",
            "body": "Välskött, en ägare.\nVinterförvaring ingår.",
            "price": [{"type": "list", "amount": 249900}, {"type": "reduced", "amount": 239900}],
            "image_urls": [BOAT_IMG.format(1017, 1), BOAT_IMG.format(1017, 2)],
            "location": {"zipcode": "13150"},
            "contact": CONTACT,
            "category_fields": {"model_year": 2019},
        },
        {
            "source_id": "1018",
            "category_id": 1062,
            "title": "Hallberg-Rassy 31",
            "body": "Klassisk långfärdsbåt med nya segel.",
            "price": [{"type": "list", "amount": 345000}],
            "image_urls": [BOAT_IMG.format(1018, 1), BOAT_IMG.format(1018, 2)],
            "location": {"zipcode": "13150"},
            "contact": CONTACT,
            "category_fields": {"model_year": 1979},
        },
    ],
    "bilgrupp-json": [  # D300's run, then D301's
        _car(
            "VK-1001", "D300", "41250", body="Servicebok finns. Låg förbrukning.", price=219900,
            images=[GROUP_IMG.format(11, 1001, 1), GROUP_IMG.format(11, 1001, 2)],
            registration_number="GHI789", model_year=2020, brand="toyota", model="corolla",
            model_type="1.8 Hybrid Active", in_traffic_date="2020-02-01",
            **_used(61200, ["petrol", "electric"], "automatic"),
        ),
        _car(
            "VK-1003", "D300", "41250", body="Laddhybrid, dragkrok.", price=359900, images=[],
            registration_number="MNO678", model_year=2022, brand="volvo", model="xc40",
            model_type="Recharge T5", in_traffic_date="2022-03-01",
            **_used(24500, ["petrol", "electric"], "automatic"),
        ),
        _car(
            "VK-1002", "D301", "43430", body="Demobil med full garanti.", price=429000,
            images=[GROUP_IMG.format(12, 1002, 1)], registration_number="JKL345",
            model_year=2023, brand="volkswagen", model="id-4", model_type="Pro Performance",
            in_traffic_date="2023-03-01", **_used(1200, ["electric"], "automatic"),
        ),
        _car(
            "VK-1004", "D301", "43430", body="Ny bil, fri hemleverans.", price=279900,
            images=[GROUP_IMG.format(12, 1004, 1)], registration_number="PQR901",
            model_year=2024, brand="ford", model="focus",
            **_used(10, ["petrol"], "manual", new=True),
        ),
    ],
}  # fmt: skip


def test_the_xlsx_example_is_the_workbook_its_rows_give():
    """examples/batar-xlsx/lager.xlsx is exactly what BOATS writes (regenerate: module doc)."""
    assert (EXAMPLES / "batar-xlsx" / "lager.xlsx").read_bytes() == xlsx_bytes(BOATS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_maps_to_the_expected_payloads(name: str):
    """The example's export, read through its config's mapping, gives exactly these ads."""
    settings = at_once(config.load(EXAMPLES / name / "syncd.toml"))
    records = [
        r for job in bootstrap.feed_jobs(settings) for r in read(job.reader, job.path).records
    ]
    assert [r.value() for r in records] == EXPECTED[name]
    assert all(r.issues == () for r in records)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_syncd_validate_exits_0_on_the_example(name: str, tmp_path: Path):
    """``syncd validate --json`` finds every item valid (per dealer of a group) and exits 0."""
    config_file = copy_example(EXAMPLES / name, tmp_path / name)
    result = CliRunner().invoke(main, ["--config", str(config_file), "validate", "--json"])
    assert result.exit_code == 0, result.output
    reports = orjson.loads(result.stdout)
    assert [r["problems"] for r in reports] == [[]] * len(reports)
    assert sum(r["counts"]["valid"] for r in reports) == len(EXPECTED[name])


if __name__ == "__main__":
    (EXAMPLES / "batar-xlsx" / "lager.xlsx").write_bytes(xlsx_bytes(BOATS))
