"""Each example under examples/ maps to exactly the expected payloads and validates clean."""

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
VAN_IMAGES = [f"https://bilder.bilhandlare.example/lager/1001/{i}.jpg" for i in (1, 2, 3)]

EXPECTED: dict[str, list[dict[str, Any]]] = {
    "bilhandlare-xml": [
        {
            "source_id": "1001",
            "category_id": 1021,
            "body": "Välvårdad skåpbil med dragkrok.\nMoms avdragsgill.",
            "price": [{"type": "list", "amount": 264000, "currency": "SEK"}],
            "image_urls": VAN_IMAGES,
            "location": {"zipcode": "41105"},
            "category_fields": {
                "registration_number": "ABC123",
                "model_year": 2019,
                "brand": "volkswagen",
                "model": "transporter",
                "model_type": "2.0 TDI Skåp",
                "in_traffic_date": "2019-03-01",
                "is_vat_deductible": True,
                "condition": {"mileage": {"value": 87000, "unit": "km"}, "is_new_vehicle": False},
                "powertrain": {"fuels": ["diesel"], "transmission": "manual"},
            },
        },
        {
            "source_id": "1002",
            "category_id": 1020,
            "body": "Laddhybrid i toppskick.",
            "price": [{"type": "list", "amount": 389900, "currency": "SEK"}],
            "image_urls": [
                f"https://bilder.bilhandlare.example/lager/1002/{i}.jpg" for i in (1, 2)
            ],
            "location": {"zipcode": "41105"},
            "category_fields": {
                "registration_number": "DEF456",
                "model_year": 2021,
                "brand": "volvo",
                "model": "v60",
                "model_type": "T6 AWD",
                "in_traffic_date": "2021-05-01",
                "is_vat_deductible": False,
                "condition": {"mileage": {"value": 31500, "unit": "km"}, "is_new_vehicle": False},
                "powertrain": {"fuels": ["petrol", "ethanol"], "transmission": "automatic"},
            },
        },
    ],
    "bilhandlare-csv": [
        {
            "source_id": "JKL012",
            "category_id": 1020,
            "body": "Nybesiktad.\r\nVinterhjul på fälg ingår.",
            "price": [{"type": "list", "amount": 249900}, {"type": "reduced", "amount": 239900}],
            "image_urls": [
                "https://bilder.bilhandlare.example/JKL012/1.jpg",
                "https://bilder.bilhandlare.example/JKL012/2.jpg",
            ],
            "location": {"zipcode": "21120"},
            "category_fields": {
                "registration_number": "JKL012",
                "model_year": 2018,
                "brand": "volvo",
                "model": "xc60",
                "condition": {"mileage": {"value": 98125, "unit": "km"}},
                "powertrain": {"fuels": ["diesel"], "transmission": "automatic"},
            },
        },
        {
            "source_id": "MNO345",
            "category_id": 1020,
            "body": "Fin familjebil, 1 ägare.",
            "price": [{"type": "list", "amount": 179900}],
            "image_urls": ["https://bilder.bilhandlare.example/MNO345/1.jpg"],
            "location": {"zipcode": "21120"},
            "category_fields": {
                "registration_number": "MNO345",
                "model_year": 2020,
                "brand": "skoda",
                "model": "octavia",
                "condition": {"mileage": {"value": 45000, "unit": "km"}},
                "powertrain": {"fuels": ["petrol"], "transmission": "manual"},
            },
        },
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_maps_to_the_expected_payloads(name: str):
    """The example's export, read through its config's mapping, gives exactly these ads."""
    settings = at_once(config.load(EXAMPLES / name / "syncd.toml"))
    (job,) = bootstrap.feed_jobs(settings)
    raw = read(job.reader, job.path)
    assert [r.value() for r in raw.records] == EXPECTED[name]
    assert all(r.issues == () for r in raw.records)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_syncd_validate_exits_0_on_the_example(name: str, tmp_path: Path):
    """``syncd validate --json`` finds every item of the example valid and exits 0."""
    config_file = copy_example(EXAMPLES / name, tmp_path / name)
    result = CliRunner().invoke(main, ["--config", str(config_file), "validate", "--json"])
    assert result.exit_code == 0, result.output
    (report,) = orjson.loads(result.stdout)
    assert report["problems"] == []
    assert report["counts"] == {"items": 2, "valid": 2, "invalid": 0}
