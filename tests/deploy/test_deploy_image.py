"""Dockerfile and .dockerignore: a current Python, a non-root user, pinned installs and no secrets in the image."""

from __future__ import annotations

import re
from pathlib import Path

SECRET_NAME = re.compile(r"(KEY|PASSWORD|SECRET|TOKEN|BASIC_AUTH)", re.IGNORECASE)


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _arg_defaults(dockerfile: str) -> dict[str, str]:
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile, re.MULTILINE))


def test_base_image_is_python_311_or_newer(dockerfile: str) -> None:
    images = [rest for keyword, rest in _instructions(dockerfile) if keyword == "FROM"]
    assert len(images) == 1
    match = re.fullmatch(r"python:(\d+)\.(\d+)-slim-bookworm", images[0])
    assert match, images[0]
    assert (int(match.group(1)), int(match.group(2))) >= (3, 11)


def test_runs_as_a_non_root_user(dockerfile: str) -> None:
    users = [rest for keyword, rest in _instructions(dockerfile) if keyword == "USER"]
    assert users, "no USER: the container would run as root"
    user = users[-1]
    for name, value in _arg_defaults(dockerfile).items():
        user = user.replace(f"${{{name}}}", value)
    assert user.split(":")[0] not in ("root", "0")
    assert re.search(r"useradd --system --uid \"\$\{APP_UID\}\"", dockerfile)


def test_installs_pinned_by_the_lock_file(dockerfile: str, project_root: Path) -> None:
    assert (project_root / "requirements.lock").is_file()
    runs = " ".join(rest for keyword, rest in _instructions(dockerfile) if keyword == "RUN")
    assert "pip install -c requirements.lock ." in runs
    assert all("pip install" not in part or "-c requirements.lock" in part for part in runs.split("&&"))


def test_no_secrets_baked_in(dockerfile: str) -> None:
    for keyword, rest in _instructions(dockerfile):
        if keyword in ("ENV", "ARG"):
            assert not SECRET_NAME.search(rest), rest
        if keyword in ("COPY", "ADD"):
            assert ".env" not in rest.split(), rest


def test_dockerignore_keeps_secrets_and_local_state_out(project_root: Path) -> None:
    ignored = set((project_root / ".dockerignore").read_text().split())
    assert {".env", ".env.*", "!.env.example", ".venv", "data-lake", ".git"} <= ignored
    needed_by_the_build = {"pyproject.toml", "requirements.lock", "README.md", "etl", "app.py", "etl_tasks.py"}
    assert not needed_by_the_build & ignored
