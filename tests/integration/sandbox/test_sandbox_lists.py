"""List and log endpoints: every filter, ordering, fields, include=log and pagination edges."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def _ids(api, query: str, path: str = "/v4/ad") -> list[str]:
    response = await api.get(f"{path}?{query}")
    assert response.status_code == 200, response.text
    return [ad["source_id"] for ad in response.json()["results"]]


async def _seed(sb):
    """Three ads at three times: car-1 (t0), sofa-1 (t0+10s), lamp-2 (t0+20s, deleted)."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.car())
    sb.clock.advance(10)
    await api.post("/v4/ad", json=sb.plain())
    sb.clock.advance(10)
    await api.post("/v3/ad", json=sb.plain("lamp-2", category_id=2042, title="Taklampa"))
    await api.delete("/v3/ad/lamp-2")
    sb.settle()
    return api


async def test_envelope_and_default_order(sb) -> None:
    """Lists answer {count, next, previous, results}, oldest first by default."""
    api = await _seed(sb)
    page = (await api.get("/v4/ad")).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 3
    assert [ad["source_id"] for ad in page["results"]] == ["car-1", "sofa-1", "lamp-2"]
    assert "log" not in page["results"][0]


async def test_state_source_id_and_search_filters(sb) -> None:
    """state, source_id, source_id__in, source_id__icontains, search and id filter ads."""
    api = await _seed(sb)
    assert await _ids(api, "state=deleted") == ["lamp-2"]
    assert await _ids(api, "state=created") == ["car-1", "sofa-1"]
    assert await _ids(api, "source_id=sofa-1") == ["sofa-1"]
    assert await _ids(api, "source_id__in=car-1,lamp-2,zzz") == ["car-1", "lamp-2"]
    assert await _ids(api, "source_id__in=car-1&source_id__in=sofa-1") == ["car-1", "sofa-1"]
    # Found by key, still in creation order and through every other filter.
    assert await _ids(api, "source_id__in=lamp-2,sofa-1,car-1") == ["car-1", "sofa-1", "lamp-2"]
    assert await _ids(api, "source_id__in=lamp-2,sofa-1&state=created") == ["sofa-1"]
    assert await _ids(api, "source_id__in=car-1,sofa-1&ordering=-created") == ["sofa-1", "car-1"]
    other = sb.client("D2")
    assert [
        ad["source_id"] for ad in (await other.get("/v4/ad?source_id__in=car-1")).json()["results"]
    ] == []
    assert await _ids(api, "source_id__icontains=AR-") == ["car-1"]
    assert await _ids(api, "search=skinn") == ["sofa-1"]
    assert await _ids(api, "search=volvo v70") == ["car-1"]
    sofa = (await api.get("/v4/ad/sofa-1")).json()
    assert await _ids(api, f"id={sofa['id']}") == ["sofa-1"]
    bad = await api.get("/v4/ad?state=gone")
    assert bad.status_code == 400
    assert "state" in bad.json()


async def test_id_and_category_filters(sb) -> None:
    """blocket_ad_id(__in), blocket_store_id, category_id(__in), registration_number, dealer."""
    api = await _seed(sb)
    car = (await api.get("/v4/ad/car-1")).json()
    sofa = (await api.get("/v4/ad/sofa-1")).json()
    assert await _ids(api, f"blocket_ad_id={car['blocket_ad_id']}") == ["car-1"]
    both = f"{car['blocket_ad_id']},{sofa['blocket_ad_id']}"
    assert await _ids(api, f"blocket_ad_id__in={both}") == ["car-1", "sofa-1"]
    assert len(await _ids(api, f"blocket_store_id={car['blocket_store_id']}")) == 3
    assert await _ids(api, "category_id=2048") == ["sofa-1"]
    assert await _ids(api, "category_id__in=2048,2042") == ["sofa-1", "lamp-2"]
    assert await _ids(api, "registration_number=abc123") == ["car-1"]
    assert await _ids(api, "dealer_code=D1") == ["car-1", "sofa-1", "lamp-2"]
    assert (await api.get("/v4/ad?category_id=abc")).status_code == 400


async def test_time_filters(sb) -> None:
    """created/updated __gt/__lt/__gte/__lte take "YYYY-MM-DD HH:MM:SS" or ISO 8601."""
    api = await _seed(sb)
    t0 = sb.clock().replace(tzinfo=None)
    start = (await api.get("/v4/ad/car-1")).json()["created"]
    assert await _ids(api, f"created__gt={start}") == ["sofa-1", "lamp-2"]
    assert await _ids(api, f"created__lte={start}") == ["car-1"]
    middle = (await api.get("/v4/ad/sofa-1")).json()["created"].replace("T", " ")[:19]
    assert await _ids(api, f"created__gte={middle}") == ["sofa-1", "lamp-2"]
    assert await _ids(api, f"created__lt={middle}") == ["car-1"]
    assert await _ids(api, f"updated__gt={t0.isoformat()}") == []
    assert await _ids(api, "updated__lt=2100-01-01") == ["car-1", "sofa-1", "lamp-2"]
    bad = await api.get("/v4/ad?created__gt=yesterday")
    assert bad.json() == {"created__gt": ["Enter a valid date/time."]}


async def test_ordering(sb) -> None:
    """ordering takes created, updated, source_id, each with '-' for descending."""
    api = await _seed(sb)
    assert await _ids(api, "ordering=-created") == ["lamp-2", "sofa-1", "car-1"]
    assert await _ids(api, "ordering=source_id") == ["car-1", "lamp-2", "sofa-1"]
    sb.clock.advance(5)
    await api.patch("/v4/ad/car-1", json={"body": "Ny text"})
    assert await _ids(api, "ordering=-updated") == ["car-1", "lamp-2", "sofa-1"]
    assert await _ids(api, "ordering=updated") == ["sofa-1", "lamp-2", "car-1"]
    assert (await api.get("/v4/ad?ordering=price")).status_code == 400


async def test_fields_and_include_log(sb) -> None:
    """fields keeps only the named fields; include=log adds the log, newest 100 only."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    for _ in range(120):
        await api.get("/v4/ad/sofa-1/bump")
    sb.settle(1000)
    page = (await api.get("/v4/ad?fields=source_id,state")).json()
    assert page["results"] == [{"source_id": "sofa-1", "state": "created"}]
    with_log = (await api.get("/v4/ad?include=log&fields=source_id")).json()["results"][0]
    assert set(with_log) == {"source_id", "log"}
    assert len(with_log["log"]) == 100
    assert len((await api.get("/v4/ad/sofa-1")).json()["log"]) == 100
    full = (await api.get("/v4/ad/sofa-1/log?limit=1000")).json()
    assert full["count"] == 122
    newest = max(e["created"] for e in full["results"])
    assert with_log["log"][0]["created"] == newest
    one = (await api.get("/v4/ad/sofa-1?fields=source_id")).json()
    assert set(one) == {"source_id", "log"}


async def test_pagination_links_and_edges(sb) -> None:
    """limit/offset pages carry next/previous links; limit=0 and offset past the end are sane."""
    api = sb.client("D1")
    for i in range(5):
        await api.post("/v4/ad", json=sb.plain(f"ad-{i}"))
    first = (await api.get("/v4/ad?limit=2&state=created")).json()
    assert [a["source_id"] for a in first["results"]] == ["ad-0", "ad-1"]
    assert first["previous"] is None
    assert first["next"].startswith("http://sandbox.test/pro-import-api/v4/ad?")
    assert "offset=2" in first["next"]
    assert "state=created" in first["next"]
    second = (await api.get(first["next"])).json()
    assert [a["source_id"] for a in second["results"]] == ["ad-2", "ad-3"]
    assert "offset" not in second["previous"]
    last = (await api.get(second["next"])).json()
    assert [a["source_id"] for a in last["results"]] == ["ad-4"]
    assert last["next"] is None
    zero = (await api.get("/v4/ad?limit=0")).json()
    assert zero == {"count": 5, "next": None, "previous": None, "results": []}
    past = (await api.get("/v4/ad?limit=2&offset=50")).json()
    assert past["results"] == []
    assert past["count"] == 5
    assert past["next"] is None
    assert "offset=3" in past["previous"]
    assert (await api.get("/v4/ad?limit=-1")).status_code == 400
    assert (await api.get("/v4/ad?offset=x")).status_code == 400


async def test_default_and_maximum_page_size(make_sandbox) -> None:
    """Without limit the page size setting applies; a larger limit is capped."""
    sb = make_sandbox(page_size=2, max_page_size=3)
    api = sb.client("D1")
    for i in range(4):
        await api.post("/v4/ad", json=sb.plain(f"ad-{i}"))
    assert len((await api.get("/v4/ad")).json()["results"]) == 2
    assert len((await api.get("/v4/ad?limit=100")).json()["results"]) == 3


async def test_log_endpoint_filters_and_ordering(sb) -> None:
    """/ad/{source_id}/log filters by action, state, request_id and orders by created."""
    api = sb.client("D1")
    posted = await api.post("/v4/ad", json=sb.car(image_urls=["https://broken.example/a.jpg"]))
    sb.settle()
    patched = await api.patch("/v4/ad/car-1", json={"body": "ny"})
    log = "/v4/ad/car-1/log"
    page = (await api.get(log)).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 5
    created = [e["created"] for e in page["results"]]
    assert created == sorted(created, reverse=True)
    ascending = (await api.get(f"{log}?ordering=created")).json()["results"]
    assert [e["action"] for e in ascending][:3] == ["create", "handle_media", "publish"]
    errors = (await api.get(f"{log}?state=error")).json()["results"]
    assert [e["action"] for e in errors] == ["handle_media"]
    assert (await api.get(f"{log}?action=publish")).json()["count"] == 2
    assert (await api.get(f"{log}?state=processing")).json()["count"] == 2
    mine = (await api.get(f"{log}?request_id={patched.headers['X-Request-Id']}")).json()
    assert {e["action"] for e in mine["results"]} == {"update", "publish"}
    first = (await api.get(f"{log}?request_id={posted.headers['X-Request-Id']}&limit=1")).json()
    assert first["count"] == 3
    assert len(first["results"]) == 1
    assert (await api.get(f"{log}?action=jump")).status_code == 400
    assert (await api.get(f"{log}?ordering=action")).status_code == 400
