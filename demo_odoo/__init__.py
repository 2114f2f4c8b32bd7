"""demo_odoo: an Odoo-compatible JSON-RPC server with deterministic synthetic shop data.

NKDash never imports this package; it talks to it over HTTP exactly as to a real
Odoo 16/17/18.  Entry points: ``python -m demo_odoo`` and :func:`demo_odoo.server.serve`.
"""
