"""Core: the plan: one entry per ad (create, update, delete, unchanged, invalid).

Pure: no I/O here. The planner (:mod:`syncd.core.plan`) returns a :class:`Plan`; its
actions carry exactly what is sent (a PATCH its changed fields).
Imported through :mod:`syncd.core.models`, which names every value type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from syncd.core.feed_model import Issue, Origin, Payload, _counted
from syncd.core.mirror_model import Op


@dataclass(frozen=True, slots=True)
class Create:
    """POST a new ad (or, with ``revive``, re-POST a deleted registered vehicle).

    ``body`` is what goes in the POST (it may lack a ``reduced`` price, which
    the API refuses on POST); ``followup`` is then sent as a PATCH. ``payload``
    is the whole desired payload, recorded once the API accepts.
    """

    dealer_code: str
    source_id: str
    category_id: int
    body: Payload
    payload: Payload
    payload_hash: str
    followup: Payload | None = None
    revive: bool = False
    # Where the feed item sits, for a problem its call finds (``ItemProblem.record``);
    # None when not known (a call not planned from a feed item). Not part of the call.
    origin: Origin | None = field(default=None, compare=False, repr=False)

    @property
    def op(self) -> Op:
        return Op.REVIVE if self.revive else Op.CREATE


@dataclass(frozen=True, slots=True)
class Update:
    """PATCH only the changed fields (removed ones as null) of a live or deleted ad."""

    dealer_code: str
    source_id: str
    category_id: int
    changes: Payload
    payload: Payload
    payload_hash: str
    revive: bool = False
    # The last accepted payload, only to show the diff (not part of what is sent).
    before: Payload | None = field(default=None, compare=False, repr=False)
    # Where the feed item sits, as on Create.
    origin: Origin | None = field(default=None, compare=False, repr=False)

    @property
    def op(self) -> Op:
        return Op.REVIVE if self.revive else Op.UPDATE


@dataclass(frozen=True, slots=True)
class Delete:
    """DELETE an ad that is no longer in the feed."""

    dealer_code: str
    source_id: str

    @property
    def op(self) -> Op:
        return Op.DELETE


@dataclass(frozen=True, slots=True)
class Unchanged:
    """Nothing to send. ``reason``: same | in_flight | still_rejected | still_failed | gone |
    pinned."""

    dealer_code: str
    source_id: str
    reason: str = "same"


@dataclass(frozen=True, slots=True)
class Invalid:
    """The feed item cannot be sent; the existing ad (if any) is left exactly as it is."""

    dealer_code: str
    source_id: str | None
    origin: Origin | None
    issues: tuple[Issue, ...]


Action: TypeAlias = Create | Update | Delete
PlanEntry: TypeAlias = Create | Update | Delete | Unchanged | Invalid


def entry_kind(entry: PlanEntry) -> str:
    """The plan kind of an entry: create, update, revive, delete, unchanged or invalid."""
    match entry:
        case Create(revive=True) | Update(revive=True):
            return "revive"
        case Create():
            return "create"
        case Update():
            return "update"
        case Delete():
            return "delete"
        case Unchanged():
            return "unchanged"
        case Invalid():
            return "invalid"


PLAN_KINDS = ("create", "update", "revive", "delete", "unchanged", "invalid")
PLAN_COUNTS = (*PLAN_KINDS, "gone")
"""The keys of :meth:`Plan.counts`: the kinds, and ``gone`` apart from ``unchanged``."""
_PLAIN_KINDS: dict[type, str] = {Delete: "delete", Unchanged: "unchanged", Invalid: "invalid"}


@dataclass(frozen=True, slots=True, repr=False)
class Plan:
    """One entry per source_id of the feed and the mirror, in a stable order."""

    dealer_code: str
    entries: tuple[PlanEntry, ...]

    def __repr__(self) -> str:
        """The dealer and a count: see :func:`_counted`."""
        return f"Plan(dealer_code={self.dealer_code!r}, entries={_counted(self.entries)})"

    @property
    def actions(self) -> tuple[Action, ...]:
        """The entries that need an API call."""
        return tuple(e for e in self.entries if isinstance(e, Create | Update | Delete))

    def counts(self) -> dict[str, int]:
        """How many entries of each kind (every key of ``PLAN_COUNTS``, zero if none).

        An ad deleted (or never created) earlier and still absent from the feed,
        ``Unchanged("gone")``, counts as ``gone``, not ``unchanged``: ``unchanged`` is
        the live ads (and those in flight) the feed still agrees with, so that a feed
        shrinking over months does not read as a large steady stock. Assumption: the
        key is added, not renamed, so a reader of ``unchanged`` keeps working; a run
        recorded by an older syncd counted the gone ones in ``unchanged``."""
        counts = dict.fromkeys(PLAN_COUNTS, 0)
        for entry in self.entries:
            # A dict lookup first: 100 000 unchanged entries through ``match`` cost more.
            if type(entry) is Unchanged and entry.reason == "gone":
                counts["gone"] += 1
            else:
                counts[_PLAIN_KINDS.get(type(entry)) or entry_kind(entry)] += 1
        return counts
