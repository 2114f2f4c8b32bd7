"""Settings: defaults, the runbook's aliases, one clear error per bad setting, secrets kept out of repr."""

from __future__ import annotations

import pytest

from etl.settings import SettingsError, load_settings

ODOO = {"ODOO_HOST": "odoo.example.com", "ODOO_DB": "shop", "ODOO_USERNAME": "etl", "ODOO_API_KEY": "s3cret-key"}


def test_defaults_follow_the_design() -> None:
    settings = load_settings(ODOO)
    assert settings.odoo is not None
    assert (settings.odoo.port, settings.odoo.protocol, settings.odoo.page_size) == (443, "jsonrpc+ssl", 2000)
    assert settings.business_timezone.key == "Asia/Jakarta"
    assert settings.redis_url == "redis://localhost:6379/0"
    assert (settings.task_soft_time_limit, settings.task_time_limit, settings.dash_cache_ttl_seconds) == (660, 720, 300)
    assert not settings.ops_enabled


def test_a_dashboard_process_takes_its_duckdb_memory_from_the_settings(tmp_path) -> None:
    from services.duckdb_connector import Lake

    assert load_settings({}).dash_duckdb_memory_limit is None
    assert load_settings({"DASH_DUCKDB_MEMORY_LIMIT": " 640MB "}).dash_duckdb_memory_limit == "640MB"
    for given, mib in ((None, 122.0), ("640MB", 610.3)):  # DuckDB reports 10^6-byte sizes in MiB
        lake = Lake(tmp_path, cache_ttl_seconds=0, memory_limit=given)
        try:
            lake.share_base()  # the limit a serving process runs with (read before any refresh)
            set_to = lake._connection.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
        finally:
            lake.close()
        assert set_to == f"{mib} MiB"


def test_odoo_url_and_runbook_aliases() -> None:
    settings = load_settings({"ODOO_URL": "http://127.0.0.1:8069", "ODOO_DB": "d", "ODOO_USER": "u",
                              "ODOO_PASSWORD": "p"})
    assert settings.odoo is not None
    assert (settings.odoo.host, settings.odoo.port, settings.odoo.protocol) == ("127.0.0.1", 8069, "jsonrpc")
    assert (settings.odoo.username, settings.odoo.api_key) == ("u", "p")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({**ODOO, "ODOO_PORT": "eighty"}, "ODOO_PORT"),
        ({**ODOO, "ODOO_PROTOCOL": "xmlrpc"}, "ODOO_PROTOCOL"),
        ({**ODOO, "ODOO_API_KEY": ""}, "ODOO_API_KEY"),
        ({"ODOO_HOST": "h", "ODOO_USERNAME": "u", "ODOO_API_KEY": "k"}, "ODOO_DB"),
        ({"BUSINESS_TIMEZONE": "Mars/Olympus"}, "BUSINESS_TIMEZONE"),
        ({"ETL_START_DATE": "24/11/2026"}, "ETL_START_DATE"),
        ({"CELERY_TASK_SOFT_TIME_LIMIT": "700", "CELERY_TASK_TIME_LIMIT": "650"}, "CELERY_TASK_TIME_LIMIT"),
        ({"ETL_DAY_DEADLINE_SECONDS": "700"}, "CELERY_TASK_SOFT_TIME_LIMIT"),
        ({"CELERY_VISIBILITY_TIMEOUT_SECONDS": "600"}, "CELERY_VISIBILITY_TIMEOUT_SECONDS"),
        ({"ETL_LOCK_BACKEND": "zookeeper"}, "ETL_LOCK_BACKEND"),
        ({"ETL_MAX_LINE_AMOUNT": "-5"}, "ETL_MAX_LINE_AMOUNT"),
        ({"OPS_USERNAME": "ops"}, "OPS_PASSWORD"),
        ({"ODOO_URL": "shop.example.com", "ODOO_DB": "d", "ODOO_USERNAME": "u", "ODOO_API_KEY": "k"}, "ODOO_URL"),
        ({"DATA_LAKE_ROOT": "s3://bucket/lake"}, "DATA_LAKE_ROOT"),
        ({"ETL_LOCK_TTL_SECONDS": "0"}, "ETL_LOCK_TTL_SECONDS"),
        ({"DASH_DUCKDB_MEMORY_LIMIT": "640MB'; SET threads=1; --"}, "DASH_DUCKDB_MEMORY_LIMIT"),
    ],
)
def test_a_bad_setting_is_named_in_one_line(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert message.startswith(named) and "\n" not in message


def test_secrets_never_appear_in_repr() -> None:
    settings = load_settings({**ODOO, "OPS_USERNAME": "ops", "OPS_PASSWORD": "hunter2",
                              "REDIS_URL": "redis://:redispw@localhost:6379/0"})
    text = repr(settings)
    assert "s3cret-key" not in text and "hunter2" not in text and "redispw" not in text
