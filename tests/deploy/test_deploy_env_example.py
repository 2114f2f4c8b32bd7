"""`.env.example` documents every setting the settings module reads, with valid examples and no secret values."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dotenv import dotenv_values

from etl.settings import load_settings

SECRETS = {"ODOO_API_KEY", "ODOO_PASSWORD", "OPS_PASSWORD", "FLOWER_BASIC_AUTH", "NKDASH_SECRET_KEY"}
PLACEHOLDER = "placeholder-" * 3  # long enough for NKDASH_SECRET_KEY
ASSIGNMENT = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def settings_read(project_root: Path) -> set[str]:
    """Every name (aliases included) passed to `_read(env, ...)` / `_parse(env, ...)` in etl/settings.py."""
    tree = ast.parse((project_root / "etl" / "settings.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_read", "_parse"):
            args = node.args[1:] if node.func.id == "_read" else node.args[1:2]
            names |= {arg.value for arg in args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    return names


def documented(env_example: str) -> dict[str, str]:
    """First documented value of each NAME=value line, commented out or not."""
    values: dict[str, str] = {}
    for line in env_example.splitlines():
        match = ASSIGNMENT.match(line.strip())
        if match:
            values.setdefault(match.group(1), match.group(2))
    return values


def test_the_parser_finds_the_settings(project_root: Path) -> None:
    names = settings_read(project_root)
    assert {"ODOO_URL", "REDIS_URL", "DATA_LAKE_ROOT", "ETL_LATE_CHANGE_WINDOW_DAYS", "HOST", "PORT"} <= names


def test_every_setting_is_documented(project_root: Path, env_example: str) -> None:
    aliases = {"ODOO_USER", "ODOO_PASSWORD"}
    missing = settings_read(project_root) - aliases - set(documented(env_example))
    assert not missing, f".env.example lacks {sorted(missing)}"
    for alias in aliases:
        assert alias in env_example, f"the alias {alias} is not mentioned"


def test_every_setting_has_a_comment(env_example: str) -> None:
    """Each NAME=value line (or run of related ones) sits right under a prose comment saying what it is."""
    lines = [line.strip() for line in env_example.splitlines()]
    for index, line in enumerate(lines):
        if not ASSIGNMENT.match(line):
            continue
        above = index - 1
        while above >= 0 and ASSIGNMENT.match(lines[above]):
            above -= 1
        assert above >= 0 and lines[above].startswith("# ") and len(lines[above]) > 10, f"{line!r} is not explained"


def test_no_secret_is_given_a_value(project_root: Path) -> None:
    active = dotenv_values(project_root / ".env.example")
    assert not active, f"copying .env.example must set nothing by itself, but it sets {sorted(active)}"


def test_secret_placeholders_are_empty(env_example: str) -> None:
    demo_block = env_example.split("docker compose --profile demo up")[0]
    for name in SECRETS:
        value = documented(demo_block).get(name)
        assert value in (None, ""), f"{name} has a placeholder value"


def test_documented_values_are_valid_settings(env_example: str) -> None:
    values = {name: value or PLACEHOLDER for name, value in documented(env_example).items()}
    settings = load_settings(values)
    assert settings.odoo is not None and settings.port == 8050 and settings.late_change_window_days == 7
