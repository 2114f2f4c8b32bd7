"""Fixtures for the deployment tests: the project root and its parsed compose file, Dockerfile and env template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="session")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="session")
def dockerfile() -> str:
    return (PROJECT_ROOT / "Dockerfile").read_text()


@pytest.fixture(scope="session")
def env_example() -> str:
    return (PROJECT_ROOT / ".env.example").read_text()
