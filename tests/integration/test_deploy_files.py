"""The systemd units, the Dockerfile and the compose file: valid for their tools, and hardened."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from syncd import config

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
DOCKER = ROOT / "deploy" / "docker"
UNITS = ["syncd.service", "syncd-run-once.service", "syncd-run-once.timer"]
INSTALLED_SYNCD = "/opt/syncd/bin/syncd"


def unit(name: str) -> configparser.RawConfigParser:
    """A unit file parsed (repeated keys keep their last value)."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SYSTEMD / name, encoding="utf-8")
    return parser


def test_daemon_unit_is_notify_watchdog_and_hardened() -> None:
    """syncd.service: Type=notify, watchdog, dedicated user, state/config dirs, hardening."""
    service = unit("syncd.service")["Service"]
    assert service["Type"] == "notify"
    assert service["ExecStart"] == f"{INSTALLED_SYNCD} daemon"
    assert service["User"] == "syncd"
    for key in ("StateDirectory", "ConfigurationDirectory", "WatchdogSec"):
        assert service[key]
    assert service["Restart"] == "on-failure"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    }.items():
        assert service[key] == value, key
    text = (SYSTEMD / "syncd.service").read_text(encoding="utf-8")
    assert "SystemCallFilter=@system-service" in text
    # The unit's stop timeout must leave room for the daemon's own.
    assert float(service["TimeoutStopSec"]) > config.DaemonSettings().stop_timeout


def test_timer_runs_the_run_once_unit() -> None:
    """The timer starts syncd-run-once.service, which runs `syncd run-once`."""
    assert unit("syncd-run-once.timer")["Timer"]["Unit"] == "syncd-run-once.service"
    service = unit("syncd-run-once.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecStart"] == f"{INSTALLED_SYNCD} run-once"


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` accepts the units (the install path swapped for this venv's)."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    syncd = Path(sys.executable).with_name("syncd")
    assert syncd.exists(), "the syncd entry point of this environment"
    # verify checks that ExecStart= binaries exist; here /opt/syncd is not installed.
    for name in UNITS:
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_SYNCD, str(syncd)), encoding="utf-8")
    result = subprocess.run(
        [tool, "verify", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def compose_command() -> list[str] | None:
    """`docker compose` (v2 plugin) or `docker-compose` (v1), whichever this machine has."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_validates() -> None:
    """`docker compose config` accepts the compose file (no engine needed)."""
    command = compose_command()
    if command is None:
        pytest.skip("no compose client (docker compose plugin or docker-compose) installed")
    result = subprocess.run(
        [*command, "-f", str(DOCKER / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SYNCD_DB_PASSWORD": "test-only"},
    )
    assert result.returncode == 0, result.stderr
    for expected in ("service_completed_successfully", "service_healthy", "db-data", "feed"):
        assert expected in result.stdout


def test_compose_refuses_to_start_without_a_database_password() -> None:
    """Without SYNCD_DB_PASSWORD compose stops with a message naming it."""
    command = compose_command()
    if command is None:
        pytest.skip("no compose client (docker compose plugin or docker-compose) installed")
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_DB_PASSWORD"}
    result = subprocess.run(
        [*command, "-f", str(DOCKER / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode != 0
    assert "SYNCD_DB_PASSWORD" in result.stderr


def test_dockerfile_is_multi_stage_and_runs_as_non_root() -> None:
    """Two stages, the package installed from the checkout, a non-root USER, `syncd daemon`."""
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert text.count("\nFROM ") == 2
    assert "pip install --no-compile ." in text
    user = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user
    assert "root" not in user[-1]
    assert user[-1] != "USER 0"
    assert 'CMD ["daemon"]' in text


def test_compose_sample_config_is_valid() -> None:
    """deploy/docker/syncd.toml loads, with the health port open to the container network."""
    settings = config.load(DOCKER / "syncd.toml")
    assert settings.database.url.startswith("postgresql+psycopg://")
    assert settings.daemon.health_host == "0.0.0.0"
    assert settings.api.token_file == Path("/run/secrets/api_token")
