"""Sandbox: every knob of the sandbox, as frozen, validated values.

:class:`SandboxSettings` is fixed for the life of an app; :class:`Faults` can be
replaced while the app runs (``PUT /_sandbox/faults``), so a test can turn
latency, errors, rate limits, dropped connections, timeouts, stuck or failing actions
and broken images on and off mid-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEV_SECRET = "syncd-sandbox-development-secret-not-for-production"  # noqa: S105
"""The default HS256 secret, a fixed and documented development value so that
``syncd sandbox token`` and a running ``syncd sandbox`` agree without setup.
It only protects a local tool; never use it anywhere real."""

MIN_SECRET_LENGTH = 32
"""HS256 keys shorter than this make PyJWT warn (RFC 7518 §3.2); refuse them."""

ScriptedFault = Literal["ok", "500", "502", "503", "504", "429", "drop", "timeout"]


class Faults(BaseModel):
    """The faults the sandbox injects into API answers (never into ``/_sandbox``).

    Random faults draw from one RNG seeded with ``seed`` each time the faults
    are set, so a run is reproducible. ``script`` is consumed first, one entry
    per API request, for tests that need an exact sequence.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    latency: float = Field(0.0, ge=0, description="seconds added before every API answer")
    error_rate: float = Field(0.0, ge=0, le=1, description="share of 5xx answers")
    error_statuses: tuple[int, ...] = Field((500, 502, 503), min_length=1)
    rate_limit: float = Field(0.0, ge=0, description="requests per second; 0 = unlimited")
    retry_after: int | None = Field(None, ge=0, description="fixed Retry-After for 429s")
    drop_rate: float = Field(0.0, ge=0, le=1, description="share of dropped connections")
    timeout_rate: float = Field(0.0, ge=0, le=1, description="share of answers that stall")
    timeout_seconds: float = Field(30.0, ge=0, description="how long a stalled answer waits")
    script: tuple[ScriptedFault, ...] = ()
    late: bool = Field(False, description="5xx/drop happen after the request was applied")
    methods: frozenset[str] = Field(frozenset(), description="random faults only for these")
    stuck_actions: frozenset[str] = Field(frozenset(), description='actions kept processing; "*"')
    stuck_source_ids: frozenset[str] = Field(frozenset(), description="limit stuck to these ads")
    # The seed: "If there was an error while processing, the action will end up in state
    # error." Nothing else in the sandbox makes create, update, delete or unpublish fail.
    failing_actions: frozenset[str] = Field(frozenset(), description='actions ending in error; "*"')
    failing_source_ids: frozenset[str] = Field(frozenset(), description="limit failing to these")
    broken_image_hosts: tuple[str, ...] = ("broken.example",)
    broken_image_paths: tuple[str, ...] = ("*/broken/*",)
    seed: int = 0

    @field_validator("methods")
    @classmethod
    def _upper_case(cls, value: frozenset[str]) -> frozenset[str]:
        return frozenset(method.upper() for method in value)


class SandboxSettings(BaseModel):
    """The sandbox's configuration, fixed for the life of one app."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    secret: str = Field(DEV_SECRET, min_length=MIN_SECRET_LENGTH)
    processing_delay: float = Field(1.0, ge=0, description="seconds per action in a chain")
    state_path: Path | None = None
    strict_source_ids: bool = Field(False, description="a source_id is never reused")
    # Seed 003: 409 is "trying to update an ad that wasn't created yet". On by default:
    # a client that passes here does not depend on updating an ad mid-creation.
    refuse_updates_while_creating: bool = Field(
        True, description="PUT/PATCH/DELETE answer 409 while the ad's create is processing"
    )
    # The switches below pick another reading of an ambiguous doc passage (see
    # syncd/sandbox/variants.py); each defaults to the reading syncd assumes.
    # The seed, "GET /ad - List ads": "Each POST/PUT/DELETE on a certain source_id will
    # appear as an individual entry." On: one list row per call on an ad, with only that
    # call's log entries; off: one row per ad (GET /ad/{source_id} is one object either way).
    list_entry_per_request: bool = Field(
        False, description="GET /ad lists one row per write request, not one per ad"
    )
    # No doc names a request id: the seed only says "By inspecting the ad logs you will be
    # able to track the actions made on the ad and the state of these", and api-notes.md
    # marks the log entry's request_id (and the X-Request-Id header) as an assumption.
    # Off: no X-Request-Id header, and every log entry's request_id is null.
    request_ids: bool = Field(
        True, description="answers carry X-Request-Id and log entries their request_id"
    )
    # The seed, "The workflow": the GET "will contain info on all state transitions
    # performed during the workflow execution (logs field)" and "All actions start with the
    # state processing and transition into done when completed." On: each transition is
    # an entry of its own, logged when it happens (an action's entries appear once it has
    # started), in whole seconds (its time filters take "YYYY-MM-DD HH:MM:SS"); off: one
    # entry per action, logged in processing when the call arrives, then updated in place.
    log_transitions: bool = Field(
        False, description="one log entry per state transition, in whole seconds"
    )
    faults: Faults = Faults()
    journal_limit: int = Field(100_000, ge=1)
    page_size: int = Field(100, ge=1, description="default limit of list endpoints")
    max_page_size: int = Field(1000, ge=1)
