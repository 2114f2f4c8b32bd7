"""NKDash dashboard entry point: the Dash app (`app`), its Flask server (`server`, for gunicorn) and `/health`."""

from __future__ import annotations

import logging

import dash
import dash_mantine_components as dmc
from flask import Response, jsonify

from etl.settings import exit_on_invalid_settings, get_settings
from pages.components import app_shell
from services.health import health_report

app = dash.Dash(__name__, use_pages=True, pages_folder="pages", title="NKDash", suppress_callback_exceptions=True)
server = app.server


def serve_layout() -> dmc.MantineProvider:
    return dmc.MantineProvider(
        app_shell(dash.page_registry.values(), dash.page_container),
        defaultColorScheme="light",
        theme={"primaryColor": "indigo", "defaultRadius": "md"},
    )


app.layout = serve_layout


@server.route("/health")
def health() -> tuple[Response, int]:
    body, status = health_report(get_settings())
    return jsonify(body), status


if __name__ == "__main__":
    settings = exit_on_invalid_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app.run(host=settings.host, port=settings.port, debug=False)
