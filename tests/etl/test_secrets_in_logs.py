"""No secret in the logs at any level (DESIGN §2): not from odoorpc's DEBUG payloads, not from our own messages, extra
fields or exceptions, with or without valid settings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import pytest

from demo_odoo.server import DEMO_API_KEY
from etl.logs import CHATTY_LOGGERS, configure_logging
from etl.settings import get_settings, reset_settings_cache
from odoorpc_connector import OdooClient
from tests.conftest import DemoOdoo

OPS_PASSWORD = "ops-pa55word-for-tests"
REDIS_PASSWORD = "redis-pa55word-for-tests"
SECRETS = (DEMO_API_KEY, OPS_PASSWORD, REDIS_PASSWORD)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def secret_settings(demo_odoo17: DemoOdoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DemoOdoo:
    """Settings for the demo Odoo with a real API key, an operator password and a Redis password."""
    env = demo_odoo17.env(tmp_path, ODOO_API_KEY=DEMO_API_KEY, OPS_USERNAME="ops", OPS_PASSWORD=OPS_PASSWORD,
                          REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/13", LOG_LEVEL="DEBUG")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    return demo_odoo17


def _read_odoo() -> None:
    client = OdooClient(get_settings().require_odoo())
    assert client.search_read_all("res.partner", [], ["name"])


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret reached the log: ...{text[text.index(secret) - 80:][:200]}..."


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_debug_logging_of_a_real_odoo_session_shows_no_secret(secret_settings: DemoOdoo, fmt: str,
                                                             capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", fmt)
    logging.getLogger("nkdash.test").debug("debug is on")
    _read_odoo()
    out, err = capfd.readouterr()
    assert "debug is on" in err and "odoo connected" in err, "the log was captured"
    assert logging.getLogger("odoorpc").getEffectiveLevel() == logging.INFO
    _assert_no_secret(out + err)


def test_odoorpc_payloads_are_redacted_even_when_its_logger_is_lowered(secret_settings: DemoOdoo,
                                                                       capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", "json")
    logging.getLogger("odoorpc").setLevel(logging.DEBUG)  # someone undoes the cap: the filter still holds
    _read_odoo()
    out, err = capfd.readouterr()
    assert "(JSON,send)" in err and "***" in err, "the payloads were logged, redacted"
    _assert_no_secret(out + err)


def test_secrets_in_messages_args_extras_and_exceptions_are_redacted(secret_settings: DemoOdoo,
                                                                     capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", "json")
    log = logging.getLogger("nkdash.test")
    log.info(f"key {DEMO_API_KEY} in the message")
    log.warning("password %s in the args", OPS_PASSWORD, extra={"url": f"redis://:{REDIS_PASSWORD}@host:6379/0"})
    try:
        raise RuntimeError(f"login failed with {DEMO_API_KEY}")
    except RuntimeError:
        log.exception("failed", extra={"detail": {"api_key": DEMO_API_KEY}})
    out, err = capfd.readouterr()
    _assert_no_secret(out + err)
    assert err.count("***") >= 5 and "RuntimeError: login failed with ***" in err


def test_without_valid_settings_the_environment_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch,
                                                                     capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ODOO_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("ETL_DAY_DEADLINE_SECONDS", "not-a-number")  # settings cannot load
    reset_settings_cache()
    configure_logging("INFO", "text")
    logging.getLogger("nkdash.test").error("bad key %s", DEMO_API_KEY)
    _, err = capfd.readouterr()
    assert "bad key ***" in err and DEMO_API_KEY not in err


def test_chatty_loggers_never_go_below_info_nor_below_the_root() -> None:
    configure_logging("DEBUG")
    assert all(logging.getLogger(name).getEffectiveLevel() == logging.INFO for name in CHATTY_LOGGERS)
    configure_logging("WARNING")
    assert all(logging.getLogger(name).getEffectiveLevel() == logging.WARNING for name in CHATTY_LOGGERS)
