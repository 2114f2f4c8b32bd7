"""docker-compose.yml: the services, commands, volumes, users and health checks operators rely on."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scripts import run_local

APP_SERVICES = ("celery-worker", "celery-beat", "dash-app", "flower", "demo-odoo")
ALWAYS_ON = ("redis", "celery-worker", "celery-beat", "dash-app", "flower")
LAKE = "/data-lake"
WINDOWS_PATH = re.compile(r"(?<![\w$])[A-Za-z]:[\\/]")


def _resolve_defaults(value: str) -> str:
    """`${NAME:-default}` → default, as compose does when NAME is unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    assert isinstance(command, list), "commands are exec-form lists, so no shell reinterprets them"
    return [_resolve_defaults(str(part)) for part in command]


def _mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of every volume entry, short or long syntax."""
    mounts = []
    for entry in service.get("volumes", []):
        if isinstance(entry, str):
            source, target = entry.split(":")[:2]
        else:
            source, target = entry.get("source", ""), entry["target"]
        mounts.append((source, target))
    return mounts


def test_expected_services(services: dict[str, Any]) -> None:
    assert set(services) == set(ALWAYS_ON) | {"demo-odoo"}


def test_demo_odoo_only_runs_with_the_demo_profile(services: dict[str, Any]) -> None:
    assert services["demo-odoo"]["profiles"] == ["demo"]
    assert all("profiles" not in services[name] for name in ALWAYS_ON)
    assert _command(services["demo-odoo"])[:7] == ["python", "-m", "demo_odoo", "--host", "0.0.0.0", "--port", "8069"]


def test_worker_command_is_the_one_run_local_starts(services: dict[str, Any]) -> None:
    local = run_local.worker_command(2, "INFO")
    assert local[:3] == [sys.executable, "-m", "celery"]
    assert ["celery", *local[3:]] == _command(services["celery-worker"])


def test_worker_consumes_every_queue(services: dict[str, Any]) -> None:
    command = _command(services["celery-worker"])
    assert command[command.index("-A") + 1] == "etl_tasks"
    assert command[command.index("-Q") + 1] == "extract,transform,load,orchestration"
    assert tuple(command[command.index("-Q") + 1].split(",")) == run_local.CELERY_QUEUES


def test_worker_queues_are_the_celery_apps_queues(project_root: Path) -> None:
    if not (project_root / "etl_tasks.py").is_file():
        pytest.skip("etl_tasks.py is not written yet; the queue names come from DESIGN §3 until it is")
    etl_tasks = importlib.import_module("etl_tasks")
    assert tuple(etl_tasks.QUEUES) == run_local.CELERY_QUEUES
    routed = {etl_tasks.queue_for(name) for name in etl_tasks.app.tasks if name.startswith("etl_tasks.")}
    assert routed <= set(run_local.CELERY_QUEUES), "a task routed to a queue the worker does not consume"


def test_beat_keeps_its_schedule_in_a_writable_place(services: dict[str, Any]) -> None:
    command = _command(services["celery-beat"])
    assert command[:4] == ["celery", "-A", "etl_tasks", "beat"]
    assert command[command.index("--schedule") + 1].startswith("/tmp/"), "/app is read-only for the app user"


def test_dash_app_is_gunicorn_on_8050(services: dict[str, Any]) -> None:
    dash = services["dash-app"]
    command = _command(dash)
    assert command[:2] == ["gunicorn", "app:server"]
    assert command[command.index("--bind") + 1] == "0.0.0.0:8050"
    assert "8050:8050" in dash["ports"]


def test_flower_serves_on_5555_locally(services: dict[str, Any]) -> None:
    flower = services["flower"]
    assert _command(flower) == ["celery", "-A", "etl_tasks", "flower", "--port=5555"]
    assert flower["ports"] == ["127.0.0.1:5555:5555"], "flower controls tasks: not published beyond the host"


def test_no_host_paths_are_mounted(compose: dict[str, Any], services: dict[str, Any], project_root: Path) -> None:
    named = set(compose.get("volumes", {}))
    for name, service in services.items():
        for source, _target in _mounts(service):
            assert source in named, f"{name} mounts {source!r}: only named volumes, never a host path"
    assert not WINDOWS_PATH.search((project_root / "docker-compose.yml").read_text())


def test_lake_volume_and_root_agree(compose: dict[str, Any], services: dict[str, Any], dockerfile: str) -> None:
    assert "data-lake" in compose["volumes"]
    for name in ("celery-worker", "dash-app"):
        assert ("data-lake", LAKE) in _mounts(services[name]), f"{name} must see the lake"
    for name in APP_SERVICES:
        assert services[name]["environment"]["DATA_LAKE_ROOT"] == LAKE
    assert re.search(rf"DATA_LAKE_ROOT={LAKE}\b", dockerfile)
    assert re.search(rf"install -d -o nkdash -g nkdash {LAKE}\b", dockerfile), "the volume must be writable"


def test_app_services_share_the_image_and_run_as_non_root(services: dict[str, Any], dockerfile: str) -> None:
    uid = re.search(r"ARG APP_UID=(\d+)", dockerfile).group(1)  # type: ignore[union-attr]
    gid = re.search(r"ARG APP_GID=(\d+)", dockerfile).group(1)  # type: ignore[union-attr]
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"]["context"] == "."
        assert service["image"] == services["celery-worker"]["image"]
        assert service["user"] == f"{uid}:{gid}" and not service["user"].startswith("0")


def test_app_services_read_an_optional_env_file(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        assert services[name]["env_file"] == [{"path": ".env", "required": False}]
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"


@pytest.mark.parametrize("name", ["redis", "celery-worker", "dash-app", "flower", "demo-odoo"])
def test_health_checks(services: dict[str, Any], name: str) -> None:
    test = services[name]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1


def test_dash_health_check_uses_the_health_endpoint(services: dict[str, Any]) -> None:
    assert any("127.0.0.1:8050/health" in part for part in services["dash-app"]["healthcheck"]["test"])


def test_services_wait_for_a_healthy_redis(services: dict[str, Any]) -> None:
    for name in ("celery-worker", "celery-beat", "dash-app", "flower"):
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}


def test_long_running_services_restart(services: dict[str, Any]) -> None:
    for name in ALWAYS_ON:
        assert services[name]["restart"] in ("unless-stopped", "always")


def _compose_cli() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not _compose_cli(), reason="the docker compose plugin is not installed here")
def test_docker_compose_accepts_the_file(project_root: Path) -> None:
    for profile in ([], ["--profile", "demo"]):
        result = subprocess.run(
            ["docker", "compose", *profile, "-f", "docker-compose.yml", "config", "-q"],
            cwd=project_root,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr


def test_worker_health_check_pings_its_own_node(services: dict[str, Any]) -> None:
    test = services["celery-worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    command = test[1].split()
    assert command[:5] == ["celery", "-A", "etl_tasks", "inspect", "ping"]
    assert command[command.index("-d") + 1] == "celery@$$HOSTNAME", "$$ is compose's escape for the shell's $"


def test_the_worker_beat_and_dashboard_come_back_by_themselves(services: dict[str, Any]) -> None:
    for name in ("celery-worker", "celery-beat", "dash-app"):
        assert services[name]["restart"] == "unless-stopped"


def test_redis_keeps_the_queues_across_a_restart(services: dict[str, Any]) -> None:
    command = _command(services["redis"])
    assert command[command.index("--appendonly") + 1] == "yes"
    assert ("redis-data", "/data") in _mounts(services["redis"])
