"""The renewal decisions: due ads, pole position, caps by UTC day and month, exclusions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from syncd.core.models import (
    Delete,
    FeedItem,
    FeedMeta,
    Invalid,
    InvalidItem,
    Issue,
    MirrorAd,
    Origin,
    Plan,
    RemoteState,
    Stage,
    Unchanged,
    ValidatedFeed,
)
from syncd.core.renewal_caps import allowance, used
from syncd.core.renewal_models import (
    MAX_MARKS_AGE,
    Caps,
    Choice,
    Renewal,
    RenewalAd,
    RenewalKind,
    RenewalOutcome,
    RenewalPolicy,
)
from syncd.core.renewals import (
    NO_ABSENT_MARKS,
    decide,
    history_since,
    marks_unusable,
    picked,
    renewal_ad,
    unrenewable,
)

NOW = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)
SOFA, CAR = 5020, 1020
BUMP, POLE = RenewalKind.BUMP, RenewalKind.POLE_POSITION
ACCEPTED, REFUSED = RenewalOutcome.ACCEPTED, RenewalOutcome.REFUSED


def policy(daily: int = 3, monthly: int = 50, **changes: object) -> RenewalPolicy:
    """A policy bumping sofas and cars weekly."""
    values: dict[str, object] = {
        "name": "weekly",
        "every": timedelta(days=7),
        "caps": Caps(daily, monthly),
        "categories": frozenset({SOFA, CAR}),
        **changes,
    }
    return RenewalPolicy(**values)  # type: ignore[arg-type]


def ad(source_id: str, category_id: int = SOFA, **changes: object) -> MirrorAd:
    """A live, published, settled ad."""
    values: dict[str, object] = {
        "category_id": category_id,
        "remote_state": RemoteState.CREATED,
        "stage": Stage.DONE,
        "blocket_ad_id": "1",
        "payload": {"category_id": category_id, "category_fields": {"brand": "volvo"}},
        **changes,
    }
    return MirrorAd("D1", source_id, **values)  # type: ignore[arg-type]


def read(decision_policy: RenewalPolicy, ads: list[MirrorAd]) -> list[RenewalAd]:
    """The ads as the policy reads them: ``renewal_ad`` with its filter's paths."""
    return [renewal_ad(a, tuple(decision_policy.filter)) for a in ads]


def done(source_id: str, at: datetime, kind: RenewalKind = BUMP, **changes: object) -> Renewal:
    """A recorded renewal (by the policy, accepted, unless changed)."""
    values: dict[str, object] = {"outcome": ACCEPTED, "policy": "weekly", **changes}
    return Renewal("D1", source_id, kind, at, **values)  # type: ignore[arg-type]


def chosen(
    decision_policy: RenewalPolicy, ads: list[MirrorAd], history: list[Renewal]
) -> list[str]:
    """The source_ids the policy bumps now."""
    decision = decide(decision_policy, "D1", read(decision_policy, ads), history, NOW)
    return [c.source_id for c in decision.chosen]


def test_a_cap_of_three_a_day_bumps_three_then_none() -> None:
    """Five due ads, cap 3: three today; with those recorded, none until tomorrow."""
    ads = [ad(f"s{i}") for i in range(5)]
    first = decide(policy(), "D1", read(policy(), ads), [], NOW)
    assert [c.source_id for c in first.chosen] == ["s0", "s1", "s2"]
    assert (first.due, first.capped) == (5, 2)
    history = [done(c.source_id, NOW) for c in first.chosen]
    assert chosen(policy(), ads, history) == []
    tomorrow = decide(policy(), "D1", read(policy(), ads), history, NOW + timedelta(days=1))
    assert [c.source_id for c in tomorrow.chosen] == ["s3", "s4"]


def test_the_monthly_cap_holds_across_days() -> None:
    """Monthly cap 4, used 4 earlier this month: nothing today though the day is fresh."""
    ads = [ad(f"s{i}") for i in range(6)]
    earlier = NOW.replace(day=2)
    history = [done(f"old{i}", earlier) for i in range(4)]
    assert chosen(policy(monthly=4), ads, history) == []
    next_month = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    assert (
        len(
            decide(
                policy(monthly=4), "D1", read(policy(monthly=4), ads), history, next_month
            ).chosen
        )
        == 3
    )


def test_refused_calls_cost_nothing_and_lost_answers_count() -> None:
    """A refusal leaves the unit free; reserved and unknown ones count against the cap."""
    day = [
        done("a", NOW, outcome=REFUSED),
        done("b", NOW, outcome=RenewalOutcome.UNKNOWN),
        done("c", NOW, outcome=RenewalOutcome.RESERVED),
    ]
    assert used("weekly", "D1", day, NOW) == (2, 2)
    assert allowance(Caps(3, 50), 2, 2) == 1


def test_other_policies_and_hand_bumps_do_not_use_this_policys_cap() -> None:
    """Caps are per policy: another policy's or a person's calls are not counted."""
    history = [done("x", NOW, policy="other"), done("y", NOW, policy=None)]
    assert used("weekly", "D1", history, NOW) == (0, 0)


def test_caps_are_per_dealer() -> None:
    """A policy of a dealer group: each dealer has the whole cap; another dealer's calls
    (same policy, even the same source_id) leave this dealer's units alone."""
    history = [Renewal("D2", f"s{i}", BUMP, NOW, ACCEPTED, "weekly") for i in range(3)]
    assert used("weekly", "D2", history, NOW) == (3, 3)
    assert used("weekly", "D1", history, NOW) == (0, 0)
    assert chosen(policy(), [ad(f"s{i}") for i in range(5)], history) == ["s0", "s1", "s2"]
    theirs = [replace(ad(f"s{i}"), dealer_code="D2") for i in range(5)]
    assert decide(policy(), "D2", read(policy(), theirs), history, NOW).chosen == ()


def test_an_ad_bumped_within_the_interval_is_not_due() -> None:
    """Bumped 3 days ago (by hand, even): not due for a weekly policy; 8 days ago: due."""
    ads = [ad("recent"), ad("old")]
    history = [
        done("recent", NOW - timedelta(days=3), policy=None),
        done("old", NOW - timedelta(days=8)),
    ]
    assert chosen(policy(), ads, history) == ["old"]


def test_never_bumped_ads_go_first_then_the_longest_since() -> None:
    """Order: never bumped, creation unknown (by source_id), then the oldest bump first."""
    ads = [ad("b"), ad("z"), ad("a"), ad("y")]
    history = [
        done("z", NOW - timedelta(days=20)),
        done("y", NOW - timedelta(days=30)),
    ]
    assert chosen(policy(daily=10), ads, history) == ["a", "b", "y", "z"]


def test_an_ad_on_pole_position_is_never_bumped() -> None:
    """A pole position less than 3 days old skips the ad; after 3 days it is due again."""
    ads = [ad("pole"), ad("plain")]
    history = [done("pole", NOW - timedelta(days=2), POLE, policy=None)]
    decision = decide(policy(), "D1", read(policy(), ads), history, NOW)
    assert [c.source_id for c in decision.chosen] == ["plain"]
    assert decision.on_pole_position == ("pole",)
    later = decide(policy(), "D1", read(policy(), ads), history, NOW + timedelta(days=1, minutes=1))
    assert [c.source_id for c in later.chosen] == ["plain", "pole"]


def test_a_refused_pole_position_does_not_block_bumps() -> None:
    """Only a charged pole position counts."""
    history = [done("a", NOW - timedelta(hours=1), POLE, outcome=REFUSED)]
    assert chosen(policy(), [ad("a")], history) == ["a"]


def test_only_live_published_settled_ads_of_the_categories_are_renewed() -> None:
    """Deleted, unpublished, in-flight, failed and other-category ads are left alone."""
    ads = [
        ad("ok"),
        ad("deleted", remote_state=RemoteState.DELETED),
        ad("unpublished", blocket_ad_id=None),
        ad("in-flight", stage=Stage.SENT),
        ad("failed", stage=Stage.ERROR),
        ad("rejected-update", stage=Stage.REJECTED),
        ad("boat", category_id=1060),
    ]
    assert chosen(policy(daily=10), ads, []) == ["ok", "rejected-update"]


def test_a_filter_matches_dotted_payload_paths() -> None:
    """``filter`` keeps the ads whose payload holds one of the values at each path."""
    ads = [
        ad("volvo"),
        ad("saab", payload={"category_fields": {"brand": "saab"}}),
        ad("none", payload=None),
    ]
    only_volvo = policy(categories=frozenset(), filter={"category_fields.brand": ("volvo",)})
    assert chosen(only_volvo, ads, []) == ["volvo"]


def test_exclusions_apply_to_registered_vehicles_only() -> None:
    """exclude_bytbil goes with a car's bump, never with a sofa's."""
    p = policy(exclude_bytbil=True)
    decision = decide(p, "D1", read(p, [ad("car", CAR), ad("sofa")]), [], NOW)
    assert decision.chosen == (Choice("car", exclude_bytbil=True), Choice("sofa"))


def test_days_and_months_are_utc() -> None:
    """A bump at 23:59 UTC yesterday is not today's; the history reaches back far enough."""
    history = [done("a", NOW.replace(hour=0) - timedelta(minutes=1))]
    assert used("weekly", "D1", history, NOW) == (0, 1)
    assert history_since(policy(), NOW) == NOW.replace(day=1, hour=0)
    assert history_since(policy(every=timedelta(days=40)), NOW) == NOW - timedelta(days=40)


def test_another_dealers_history_is_not_this_dealers() -> None:
    """A bump of the same source_id at another dealer leaves this dealer's ad due."""
    other = Renewal("D2", "a", BUMP, NOW, ACCEPTED, "weekly")
    assert chosen(policy(), [ad("a")], [other]) == ["a"]


def test_an_ad_the_api_refuses_does_not_starve_the_others() -> None:
    """An ad refused since its last bump (a pole position bought in Blocket Admin, an ad
    the API will not bump) goes after the other due ads: with a cap of 1 it must not
    take the only unit on every run while the rest are never bumped."""
    ads = [ad("a"), ad("b"), ad("c")]
    history = [
        done("a", NOW - timedelta(hours=1), outcome=REFUSED),
        done("c", NOW - timedelta(days=9)),
        done("c", NOW - timedelta(days=20), outcome=REFUSED),  # before its last bump: old news
    ]
    assert chosen(policy(daily=1), ads, history) == ["b"]
    assert chosen(policy(daily=10), ads, history) == ["b", "c", "a"]


def test_a_hidden_ad_is_never_bumped() -> None:
    """An ad last sent with ``visible: false`` (a rehearsal, or an item the feed hides) is
    not shown on the marketplaces: a charged bump would buy nothing, though the ad kept
    the ``blocket_ad_id`` it had while it was shown."""
    hidden = ad("hidden", payload={"category_id": SOFA, "visible": False})
    shown = ad("shown", payload={"category_id": SOFA, "visible": True})
    assert chosen(policy(), [hidden, shown, ad("plain")], []) == ["plain", "shown"]


def test_an_ad_absent_from_the_feed_is_never_bumped() -> None:
    """An ad the latest run's plan deletes (its delete held back by a mass-delete guard,
    say) is no longer sold: it is not even due, however long since its last bump."""
    gone = ad("gone", absent_since=NOW - timedelta(hours=1))
    decision = decide(policy(), "D1", read(policy(), [gone, ad("kept")]), [], NOW)
    assert [c.source_id for c in decision.chosen] == ["kept"]
    assert decision.due == 1


def test_a_new_ad_counts_as_renewed_when_it_was_created() -> None:
    """Created a day ago, never bumped: not due for a weekly policy (it already appears
    as new); created 8 days ago: due. A bump before the creation (an earlier life of the
    source_id) does not make a new ad due."""
    new = ad("new", created_at=NOW - timedelta(days=1))
    old = ad("old", created_at=NOW - timedelta(days=8))
    reborn = ad("reborn", created_at=NOW - timedelta(days=2))
    history = [done("reborn", NOW - timedelta(days=30))]
    decision = decide(
        policy(daily=10), "D1", read(policy(daily=10), [new, old, reborn]), history, NOW
    )
    assert [c.source_id for c in decision.chosen] == ["old"]
    assert decision.due == 1
    later = decide(
        policy(daily=10),
        "D1",
        read(policy(daily=10), [new]),
        [],
        NOW + timedelta(days=6, minutes=1),
    )
    assert [c.source_id for c in later.chosen] == ["new"]


def test_a_bump_after_the_creation_is_the_last_renewal() -> None:
    """Created 40 days ago, bumped 3 days ago: not due; bumped 9 days ago: due."""
    a = ad("a", created_at=NOW - timedelta(days=40))
    assert chosen(policy(), [a], [done("a", NOW - timedelta(days=3))]) == []
    assert chosen(policy(), [a], [done("a", NOW - timedelta(days=9))]) == ["a"]


def test_due_ads_go_longest_since_they_last_appeared_as_new() -> None:
    """Order by the later of the last bump and the creation, oldest first: an ad created
    30 days ago and never bumped waits less than one bumped 40 days ago; an ad whose
    creation is unknown and never bumped goes first of all."""
    ads = [
        ad("created-30", created_at=NOW - timedelta(days=30)),
        ad("bumped-40", created_at=NOW - timedelta(days=90)),
        ad("unknown"),
        ad("bumped-10", created_at=NOW - timedelta(days=90)),
    ]
    history = [
        done("bumped-40", NOW - timedelta(days=40)),
        done("bumped-10", NOW - timedelta(days=10)),
    ]
    assert chosen(policy(daily=10), ads, history) == [
        "unknown",
        "bumped-40",
        "created-30",
        "bumped-10",
    ]


def test_unrenewable_names_every_ad_the_feed_has_no_valid_item_for() -> None:
    """The plan's deletes, its pinned ads kept though absent, its ads in flight the feed
    lacks, its invalid entries with an id, and every id an ambiguous item gave; not the
    unchanged or updated ads, an ad in flight the feed has, nor an invalid item without
    an id."""
    origin = Origin("feed.json", line=1)
    issue = (Issue("title", "is required"),)
    plan = Plan(
        "D1",
        (
            Unchanged("D1", "sending", "in_flight"),
            Delete("D1", "gone"),
            Unchanged("D1", "kept", "pinned"),
            Unchanged("D1", "same", "same"),
            Unchanged("D1", "old", "gone"),
            Unchanged("D1", "dropped", "in_flight"),
            Invalid("D1", "broken", origin, issue),
            Invalid("D1", None, origin, issue),
        ),
    )
    ambiguous = InvalidItem(origin, None, issue, candidates=("twin-a", "twin-b"))
    sending = FeedItem("sending", SOFA, {"title": "x"}, "h", origin)
    feed = ValidatedFeed("D1", FeedMeta("feed.json", "c" * 64, 1, NOW), (sending,), (ambiguous,))
    assert unrenewable(plan, feed) == {"gone", "kept", "dropped", "broken", "twin-a", "twin-b"}


# --- the marks' age -------------------------------------------------------------


def test_marks_no_run_of_this_version_recorded_are_unusable() -> None:
    """No run recorded them (every mark NULL since the upgrade): the old reason."""
    assert marks_unusable(None, NOW, MAX_MARKS_AGE) == NO_ABSENT_MARKS


def test_marks_are_trusted_up_to_their_bound_and_not_a_moment_longer() -> None:
    """Recorded by a run that started exactly ``max_age`` ago: trusted; a second more:
    the reason says how old they are, when the run started and the bound."""
    bound = timedelta(hours=6)
    assert marks_unusable(NOW - bound, NOW, bound) is None
    assert marks_unusable(NOW - timedelta(minutes=5), NOW, bound) is None
    reason = marks_unusable(NOW - bound - timedelta(seconds=1), NOW, bound)
    assert reason is not None
    assert reason.startswith("the absent marks are 6h old")
    assert "started 2026-12-15 03:59 UTC" in reason
    assert "past max_marks_age 6h" in reason
    stale = marks_unusable(NOW - timedelta(days=3, hours=2), NOW, timedelta(minutes=90))
    assert stale is not None
    assert stale.startswith("the absent marks are 3d 2h old")
    assert "past max_marks_age 1h 30m" in stale


def test_marks_from_a_clock_ahead_of_now_are_trusted() -> None:
    """Another host's clock ahead of this one (one database for both): not stale."""
    assert marks_unusable(NOW + timedelta(minutes=3), NOW, timedelta(hours=1)) is None


def test_the_default_bound_is_six_hours() -> None:
    """A policy built without one trusts marks up to 6 hours old."""
    assert policy().max_marks_age == MAX_MARKS_AGE == timedelta(hours=6)


# --- what a policy reads of an ad ---------------------------------------------------


def test_an_ad_is_read_for_a_policy_without_its_payload() -> None:
    """``renewal_ad``: the state and times, ``visible: false`` only at the top level, and
    only the filter's paths (a path the payload lacks left out)."""
    created = NOW - timedelta(days=9)
    whole = ad(
        "a",
        created_at=created,
        absent_since=NOW,
        payload={"visible": False, "category_fields": {"brand": "volvo", "visible": False}},
    )
    assert renewal_ad(whole, ("category_fields.brand", "category_fields.fuel")) == RenewalAd(
        "a",
        SOFA,
        RemoteState.CREATED,
        Stage.DONE,
        published=True,
        created_at=created,
        absent_since=NOW,
        hidden=True,
        values={"category_fields.brand": "volvo"},
    )
    nested = ad("b", payload={"category_fields": {"visible": False}}, blocket_ad_id=None)
    assert (renewal_ad(nested, ()).hidden, renewal_ad(nested, ()).published) == (False, False)
    assert renewal_ad(ad("c", payload=None), ("title",)).values == {}
    assert picked({"a": {"b": None}, "c": 1}, ("a.b", "a.b.c", "c.d", "x")) == {"a.b": None}


def test_a_policy_reads_every_rule_from_the_light_values() -> None:
    """``decide`` takes the light values (``Mirror.renewal_ads``, or ``renewal_ad`` of
    whole MirrorAds): each rule that reads the ad (state, visibility, absence, pole
    position, categories, filter, exclusions) reads it from them."""
    ads = [
        ad("ok", created_at=NOW - timedelta(days=30)),
        ad("new", created_at=NOW - timedelta(days=1)),
        ad("hidden", payload={"visible": False, "category_fields": {"brand": "volvo"}}),
        ad("nested", payload={"category_fields": {"brand": "volvo", "visible": False}}),
        ad("saab", payload={"category_fields": {"brand": "saab"}}),
        ad("no-payload", payload=None),
        ad("absent", absent_since=NOW),
        ad("unpublished", blocket_ad_id=None),
        ad("in-flight", stage=Stage.SENT),
        ad("deleted", remote_state=RemoteState.DELETED),
        ad("car", CAR),
        ad("boat", 1060),
        ad("pole"),
        ad("bumped"),
    ]
    history = [
        done("pole", NOW - timedelta(days=1), POLE),
        done("bumped", NOW - timedelta(days=2)),
    ]
    policies = [
        policy(daily=20),
        policy(daily=2, exclude_bytbil=True),
        policy(daily=20, filter={"category_fields.brand": ("volvo", "saab")}),
        policy(daily=20, categories=frozenset(), filter={"category_fields.brand": ("volvo",)}),
    ]
    expected = [
        ["car", "nested", "no-payload", "saab", "ok"],
        ["car", "nested"],
        ["car", "nested", "saab", "ok"],
        ["boat", "car", "nested", "ok"],
    ]
    for each, ids in zip(policies, expected, strict=True):
        decision = decide(each, "D1", read(each, ads), history, NOW)
        assert [c.source_id for c in decision.chosen] == ids
        assert decision.on_pole_position == ("pole",)
