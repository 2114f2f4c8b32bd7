"""Exceptions carrying the Python class name Odoo reports in ``error.data.name``."""
from __future__ import annotations


class OdooError(Exception):
    """An error serialised the way ``odoo.http.serialize_exception`` does.

    ``name`` is the fully qualified class name a real server would report
    (e.g. ``odoo.exceptions.AccessError`` or ``builtins.ValueError``).
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def user_error(message: str) -> OdooError:
    return OdooError("odoo.exceptions.UserError", message)


def access_error(message: str) -> OdooError:
    return OdooError("odoo.exceptions.AccessError", message)


def access_denied() -> OdooError:
    return OdooError("odoo.exceptions.AccessDenied", "Access Denied")


def missing_error(message: str) -> OdooError:
    return OdooError("odoo.exceptions.MissingError", message)


def value_error(message: str) -> OdooError:
    return OdooError("builtins.ValueError", message)


def attribute_error(message: str) -> OdooError:
    return OdooError("builtins.AttributeError", message)


def type_error(message: str) -> OdooError:
    return OdooError("builtins.TypeError", message)


def session_expired() -> OdooError:
    return OdooError("odoo.http.SessionExpiredException", "Session expired")


def validation_error(message: str) -> OdooError:
    return OdooError("odoo.exceptions.ValidationError", message)
