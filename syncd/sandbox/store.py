"""Sandbox: the sandbox's state: every ad of every dealer, guarded by one lock.

The imperative shell around :mod:`syncd.sandbox.processing`. Handlers take
:attr:`Store.lock` for the whole of a read-modify-write, call
:meth:`Store.advance` first (lazy processing), and :meth:`Store.put` what they
changed; the repository persists it when a state file is configured.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from syncd.sandbox.persistence import Repository
from syncd.sandbox.processing import Env, advance
from syncd.sandbox.records import Ad

_FIRST_IDS = {"blocket_ad_id": 1_100_000_001, "offer_id": 5_000_001}


class Store:
    """All ads, keyed by (dealer_code, source_id)."""

    def __init__(self, repository: Repository) -> None:
        self.lock = threading.RLock()
        self._repository = repository
        self._ads: dict[tuple[str, str], Ad] = {}
        self._in_flight: set[tuple[str, str]] = set()
        self._next_ids = dict(_FIRST_IDS)
        self._seq = 0
        self._index(repository.load())

    def _index(self, ads: Iterable[Ad]) -> None:
        for ad in ads:
            self._ads[ad.key] = ad
            if ad.in_flight:
                self._in_flight.add(ad.key)
            self._seq = max(self._seq, ad.seq)
            for name, value in (("blocket_ad_id", ad.blocket_ad_id), ("offer_id", ad.offer_id)):
                if value is not None:
                    self._next_ids[name] = max(self._next_ids[name], value + 1)

    def next_seq(self) -> int:
        """A fresh creation-order number."""
        with self.lock:
            self._seq += 1
            return self._seq

    def _new_id(self, name: str) -> int:
        value = self._next_ids[name]
        self._next_ids[name] = value + 1
        return value

    def advance(
        self,
        now: datetime,
        is_broken: Callable[[str], bool],
        is_stuck: Callable[[str, str], bool],
        is_failing: Callable[[str, str], bool] = lambda _action, _source_id: False,
    ) -> None:
        """Settle every action whose due time has passed (lazy processing)."""
        env = Env(
            now=now,
            is_broken=is_broken,
            is_stuck=is_stuck,
            new_id=self._new_id,
            is_failing=is_failing,
        )
        with self.lock:
            changed = []
            for key in sorted(self._in_flight):
                ad = advance(self._ads[key], env)
                if ad is not self._ads[key]:
                    self._ads[key] = ad
                    changed.append(ad)
                if not ad.in_flight:
                    self._in_flight.discard(key)
            if changed:
                self._repository.save(changed)

    def get(self, dealer_code: str, source_id: str) -> Ad | None:
        """The ad, or None."""
        with self.lock:
            return self._ads.get((dealer_code, source_id))

    def ads(self, dealer_codes: frozenset[str] | None = None) -> list[Ad]:
        """The ads of these dealers (all when None), in creation order."""
        with self.lock:
            ads = [
                ad
                for ad in self._ads.values()
                if dealer_codes is None or ad.dealer_code in dealer_codes
            ]
        return sorted(ads, key=lambda ad: ad.seq)

    def ads_named(self, dealer_codes: frozenset[str], source_ids: frozenset[str]) -> list[Ad]:
        """The ads of these dealers with these source_ids, in creation order: what
        :meth:`ads` filtered by source_id gives, found by key (a listing of 50 ads of a
        100 000-ad store looks at 50, not 100 000)."""
        with self.lock:
            found = [
                ad
                for d in dealer_codes
                for s in source_ids
                if (ad := self._ads.get((d, s))) is not None
            ]
        return sorted(found, key=lambda ad: ad.seq)

    def put(self, ad: Ad) -> None:
        """Store (and persist) a new or changed ad."""
        with self.lock:
            self._ads[ad.key] = ad
            if ad.in_flight:
                self._in_flight.add(ad.key)
            else:
                self._in_flight.discard(ad.key)
            self._repository.save([ad])

    def reset(self) -> None:
        """Forget every ad (ids keep counting up, so none is ever handed out twice)."""
        with self.lock:
            self._ads.clear()
            self._in_flight.clear()
            self._repository.clear()
