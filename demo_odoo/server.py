"""HTTP + JSON-RPC front end speaking Odoo's wire protocol.

Routes (all JSON-RPC 2.0 ``{"jsonrpc": "2.0", "method": "call", "params": ..., "id": ...}``):

* ``/web/webclient/version_info``; ``/jsonrpc`` (services ``common``, ``db``, ``object``);
* ``/web/session/authenticate``, ``/web/session/get_session_info``, ``/web/session/destroy``;
* ``/web/database/list``; ``/web/dataset/call_kw`` and ``/web/dataset/call_kw/<anything>``;
* ``GET /web/health``; test helpers ``POST /demo/faults``, ``GET /demo/stats`` and
  ``GET /demo/bad_records[?day=YYYY-MM-DD]``.

Errors use Odoo 16+'s envelope: ``{"code": 200, "message": "Odoo Server Error", "data":
{"name", "debug", "message", "arguments", "context"}}``; an expired session is code 100
``"Odoo Session Expired"``; an unknown route is code 404 with HTTP status 404.
"""
from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from . import methods
from .bad_records import MODELS as BAD_RECORD_MODELS, BadRecords
from .errors import OdooError, access_denied, session_expired, user_error
from .faults import Faults, ServerStopping
from .generate import GenParams, generate
from .orm import Database

DB_NAME = "nkdash_demo"
LOGIN = "admin"
PASSWORD = "admin"
#: Accepted in place of the password everywhere (like an Odoo API key).
DEMO_API_KEY = "4e6b6461736864656d6f6170696b657930303031"
ADMIN_UID = 2


@dataclass
class ServerConfig:
    """Everything the CLI accepts."""

    host: str = "127.0.0.1"
    port: int = 8069
    odoo_version: int = 17
    days: int = 90
    seed: int = 42
    orders_per_day: int | None = None
    pos_lines: int | None = None
    end_date: date | None = None
    latency_ms: float = 0.0
    failure_rate: float = 0.0
    session_expiry_calls: int = 0
    deny_models: list[str] = field(default_factory=list)


def version_info(version: int) -> dict[str, Any]:
    return {"server_version": f"{version}.0", "server_version_info": [version, 0, 0, "final", 0, ""],
            "server_serie": f"{version}.0", "protocol_version": 1}


def _check_password(password: Any) -> bool:
    return password in (PASSWORD, DEMO_API_KEY)


class DemoOdoo:
    """The demo server: generated database, sessions, fault knobs and the HTTP listener."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        started = time.monotonic()
        self.db: Database = generate(GenParams(
            version=config.odoo_version, days=config.days, seed=config.seed,
            orders_per_day=config.orders_per_day, pos_lines=config.pos_lines, end_date=config.end_date))
        self.startup_seconds = time.monotonic() - started
        self.faults = Faults(seed=config.seed, latency_ms=config.latency_ms,
                             failure_rate=config.failure_rate,
                             session_expiry_calls=config.session_expiry_calls,
                             deny_models=set(config.deny_models))
        self.bad_records = BadRecords(self.db)
        self.sessions: dict[str, int] = {}
        self._sessions_lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((config.host, config.port), _make_handler(self))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    def ready_line(self) -> str:
        lines = self.db.tables["pos.order.line"].n
        return (f"demo_odoo ready on {self.url} (odoo {self.config.odoo_version}.0, db {DB_NAME}, "
                f"{lines} pos lines, started in {self.startup_seconds:.1f}s)")

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> "DemoOdoo":
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="demo_odoo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent); calls hung by the ``hang`` knob are dropped."""
        self.faults.release()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.httpd.server_close()

    def __enter__(self) -> "DemoOdoo":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------ sessions
    def new_session(self, uid: int) -> str:
        sid = secrets.token_hex(20)
        with self._sessions_lock:
            self.sessions[sid] = uid
        self.faults.login(f"sid:{sid}")
        return sid

    def session_uid(self, sid: str | None) -> int | None:
        with self._sessions_lock:
            return self.sessions.get(sid or "")

    def drop_session(self, sid: str | None) -> None:
        with self._sessions_lock:
            self.sessions.pop(sid or "", None)

    def session_info(self, uid: int, sid: str) -> dict[str, Any]:
        v = self.config.odoo_version
        company = {"id": 1, "name": self.db.tables["res.company"].display_names(np.zeros(1, dtype=np.int64))[0], "sequence": 10,
                   "child_ids": [], "parent_id": False}
        return {
            "uid": uid, "is_system": True, "is_admin": True, "db": DB_NAME,
            "user_context": {"lang": "en_US", "tz": "Asia/Jakarta", "uid": uid},
            "server_version": f"{v}.0", "server_version_info": [v, 0, 0, "final", 0, ""],
            "name": "Administrator", "username": LOGIN, "partner_display_name": "Administrator",
            "company_id": 1, "partner_id": 3, "web.base.url": self.url, "session_id": sid,
            "user_companies": {"current_company": 1, "allowed_companies": {"1": company}},
            "currencies": {"1": {"symbol": "Rp", "position": "before", "digits": [69, 2]}},
            "active_ids_limit": 20000, "max_file_upload_size": 134217728,
        }

    # ------------------------------------------------------------ services
    def login(self, db: Any, login: Any, password: Any) -> int | bool:
        if db != DB_NAME:
            raise _no_database(db)
        if login == LOGIN and _check_password(password):
            self.faults.login(f"uid:{ADMIN_UID}")
            return ADMIN_UID
        return False

    def object_call(self, uid: int, model: str, method: str, args: list[Any], kwargs: dict[str, Any],
                    session_key: str) -> Any:
        """Run one model method behind the fault knobs; may return ``_HttpFailure``."""
        if not isinstance(model, str) or not isinstance(method, str):
            raise user_error("Invalid model or method name")
        spec = self.db.schema.get(model)
        status = self.faults.before_call(model, method, session_key,
                                         spec.description if spec else model)
        if status is not None:
            return _HttpFailure(status)
        result = methods.call(self.db, uid, model, method, list(args or []), dict(kwargs or {}))
        kinds = self.faults.bad_records
        if kinds and model in BAD_RECORD_MODELS and method in ("search_read", "read"):
            with self.db.lock:
                result = self.bad_records.apply(model, result, kinds)
        return result

    def update_faults(self, knobs: dict[str, Any]) -> dict[str, Any]:
        """``POST /demo/faults``: new knob values; choosing ``bad_records`` starts a new served log."""
        settings = self.faults.update(knobs)
        if "bad_records" in knobs:
            with self.db.lock:
                self.bad_records.reset()
        return settings

    def bad_records_report(self, day: str | None) -> dict[str, Any]:
        """``GET /demo/bad_records[?day=YYYY-MM-DD]``: what was served, or the targets of one business day."""
        kinds = list(self.faults.bad_records)
        with self.db.lock:
            if day:
                return {"kinds": kinds, "day": day, "targets": self.bad_records.targets_of_day(day, kinds)}
            return self.bad_records.report(kinds)

    def dispatch_jsonrpc(self, params: dict[str, Any]) -> Any:
        service, method, args = params.get("service"), params.get("method"), list(params.get("args") or [])
        if service == "common":
            if method in ("login", "authenticate"):
                return self.login(*args[:3])
            if method == "version":
                return version_info(self.config.odoo_version)
            if method == "about":
                return "See http://openerp.com"
            raise OdooError("builtins.Exception", f"Method not found: {method}")
        if service == "db":
            if method == "list":
                return [DB_NAME]
            if method == "server_version":
                return f"{self.config.odoo_version}.0"
            if method == "db_exist":
                return bool(args) and args[0] == DB_NAME
            raise OdooError("builtins.KeyError", f"'exp_{method}'")
        if service == "object":
            if method not in ("execute", "execute_kw"):
                raise OdooError("builtins.NameError", f"Method not available {method}")
            if len(args) < 5:
                raise OdooError("builtins.IndexError", "list index out of range")
            db, uid, password, model, model_method = args[:5]
            if db != DB_NAME:
                raise _no_database(db)
            if uid != ADMIN_UID or not _check_password(password):
                raise access_denied()
            if method == "execute":
                call_args, call_kwargs = args[5:], {}
            else:
                call_args = args[5] if len(args) > 5 else []
                call_kwargs = args[6] if len(args) > 6 else {}
            return self.object_call(ADMIN_UID, model, model_method, call_args, call_kwargs, f"uid:{ADMIN_UID}")
        raise OdooError("builtins.KeyError", repr(service))


class _HttpFailure:
    """An injected transient gateway failure (HTTP 502/503)."""

    def __init__(self, status: int) -> None:
        self.status = status


def _no_database(db: Any) -> OdooError:
    return OdooError("psycopg2.OperationalError",
                     f'connection to server failed: FATAL:  database "{db}" does not exist')


def _error_payload(exc: OdooError) -> dict[str, Any]:
    if exc.name == "odoo.http.SessionExpiredException":
        code, message = 100, "Odoo Session Expired"
    else:
        code, message = 200, "Odoo Server Error"
    debug = (f"Traceback (most recent call last):\n  File \"odoo/http.py\", in _serve_db\n"
             f"{exc.name}: {exc.message}\n")
    return {"code": code, "message": message,
            "data": {"name": exc.name, "debug": debug, "message": exc.message,
                     "arguments": [exc.message], "context": {}}}


def _make_handler(app: DemoOdoo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "Werkzeug/2.0.2"
        sys_version = "Python/3"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

        # -------------------------------------------------------- plumbing
        def _send(self, status: int, body: bytes, content_type: str,
                  headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. timed out on a hung call)

        def _json(self, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(payload, separators=(",", ":")).encode()
            self._send(status, body, "application/json", headers)

        def _cookie_sid(self) -> str | None:
            for part in (self.headers.get("Cookie") or "").split(";"):
                key, _, value = part.strip().partition("=")
                if key == "session_id":
                    return value
            return None

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            path, _, query = self.path.partition("?")
            if path == "/demo/stats":
                self._json(app.faults.stats())
            elif path == "/demo/bad_records":
                day = urllib.parse.parse_qs(query).get("day", [None])[0]
                try:
                    self._json(app.bad_records_report(day))
                except ValueError as exc:
                    self._json({"error": str(exc)}, status=400)
            elif path == "/web/health":
                self._json({"status": "pass"})
            else:
                self._send(404, b"<h1>404: Not Found</h1>", "text/html; charset=utf-8")

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            path = self.path.split("?", 1)[0]
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if path == "/demo/faults":
                try:
                    self._json(app.update_faults(json.loads(raw or b"{}")))
                except (OdooError, ValueError, TypeError) as exc:
                    self._json({"error": str(exc)}, status=400)
                return
            try:
                request = json.loads(raw or b"{}")
            except ValueError:
                self._json({"jsonrpc": "2.0", "id": None, "error": {
                    "code": 400, "message": "Bad Request",
                    "data": {"name": "werkzeug.exceptions.BadRequest", "debug": "",
                             "message": "Invalid JSON data", "arguments": [], "context": {}}}}, status=400)
                return
            request_id = request.get("id") if isinstance(request, dict) else None
            params = request.get("params") or {} if isinstance(request, dict) else {}
            headers: dict[str, str] = {}
            try:
                result = self._route(path, params, headers)
            except ServerStopping:
                self.close_connection = True
                return
            except OdooError as exc:
                self._json({"jsonrpc": "2.0", "id": request_id, "error": _error_payload(exc)}, headers=headers)
                return
            except _NotFound:
                self._json({"jsonrpc": "2.0", "id": request_id, "error": {
                    "code": 404, "message": "404: Not Found",
                    "data": {"name": "werkzeug.exceptions.NotFound", "debug": "",
                             "message": "404 Not Found: The requested URL was not found on the server.",
                             "arguments": [], "context": {}}}}, status=404)
                return
            if isinstance(result, _HttpFailure):
                reason = "Bad Gateway" if result.status == 502 else "Service Unavailable"
                body = f"<html><head><title>{result.status} {reason}</title></head><body>" \
                       f"<center><h1>{result.status} {reason}</h1></center></body></html>".encode()
                self._send(result.status, body, "text/html")
                return
            payload: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
            if result is not None:
                payload["result"] = result
            self._json(payload, headers=headers)

        # -------------------------------------------------------- routes
        def _route(self, path: str, params: dict[str, Any], headers: dict[str, str]) -> Any:
            if path == "/jsonrpc":
                return app.dispatch_jsonrpc(params)
            if path == "/web/webclient/version_info":
                return version_info(app.config.odoo_version)
            if path == "/web/database/list":
                return [DB_NAME]
            if path == "/web/session/authenticate":
                uid = app.login(params.get("db"), params.get("login"), params.get("password"))
                if not uid:
                    raise access_denied()
                sid = app.new_session(int(uid))
                headers["Set-Cookie"] = (f"session_id={sid}; Max-Age=604800; HttpOnly; Path=/; "
                                         "SameSite=Lax")
                return app.session_info(int(uid), sid)
            if path == "/web/session/get_session_info":
                sid = self._cookie_sid()
                uid = app.session_uid(sid)
                if uid is None:
                    raise session_expired()
                return app.session_info(uid, sid or "")
            if path == "/web/session/destroy":
                app.drop_session(self._cookie_sid())
                return None
            if path == "/web/dataset/call_kw" or path.startswith("/web/dataset/call_kw/"):
                sid = self._cookie_sid()
                uid = app.session_uid(sid)
                if uid is None:
                    raise session_expired()
                try:
                    return app.object_call(uid, params.get("model"), params.get("method"),
                                           params.get("args") or [], params.get("kwargs") or {},
                                           f"sid:{sid}")
                except OdooError as exc:
                    if exc.name == "odoo.http.SessionExpiredException":
                        app.drop_session(sid)
                    raise
            raise _NotFound()

    return Handler


class _NotFound(Exception):
    """No route matches the request path."""


def serve(config: ServerConfig | None = None, **overrides: Any) -> DemoOdoo:
    """Build the demo server (data generated, socket bound) and start it in a background thread.

    ``serve(odoo_version=18, port=0)`` → a running :class:`DemoOdoo`; call ``.stop()`` when done.
    """
    cfg = config or ServerConfig()
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return DemoOdoo(cfg).start()
