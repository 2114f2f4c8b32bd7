"""NKDash dashboard entry point: the Dash app (`app`), its Flask server (`server`, for gunicorn) and `/health`."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from flask import Response, jsonify

from etl.logs import configure_logging
from etl.settings import exit_on_invalid_settings, get_settings
from etl.workers import warm_worker_report
from pages.components import app_shell, current_language
from services.duckdb_connector import LakeRefresher, get_lake
from services.health import health_report
from services.operator_auth import configure_sessions

app = dash.Dash(__name__, use_pages=True, pages_folder="pages", title="NKDash", suppress_callback_exceptions=True)
server = app.server
configure_sessions(server)  # the operator login's session cookie (NKDASH_SECRET_KEY)


def serve_layout() -> dmc.MantineProvider:
    return dmc.MantineProvider(
        app_shell(dash.page_registry.values(), dash.page_container, current_language()),
        defaultColorScheme="light",
        theme={"primaryColor": "indigo", "defaultRadius": "md"},
    )


app.layout = serve_layout
_interpolate_index = app.interpolate_index


def _index_with_language(**kwargs: str) -> str:
    """The page's `<html lang>` from the first byte (the language switch keeps it current afterwards)."""
    return _interpolate_index(**kwargs).replace("<html>", f'<html lang="{current_language()}">', 1)


app.interpolate_index = _index_with_language  # type: ignore[method-assign]



def start_serving_process() -> LakeRefresher:
    """What a serving process does once at start (`python app.py`, or gunicorn's post_worker_init hook): structured
    logs, and the background refresher that attaches the lake's shared serving base (building it when missing) and
    applies lake changes as they land, so no request waits for a refresh; and the first ping of the Celery workers
    (health), so no page waits for it. Importing this module (tests, tools) starts nothing."""
    settings = exit_on_invalid_settings()
    configure_logging(settings.log_level, settings.log_format)
    warm_worker_report(settings)
    return LakeRefresher(shared_base=True).start()


@server.route("/health")
def health() -> tuple[Response, int]:
    body, status = health_report(get_settings(), lake=get_lake())
    return jsonify(body), status


if __name__ == "__main__":
    start_serving_process()
    app.run(host=get_settings().host, port=get_settings().port, debug=False)
