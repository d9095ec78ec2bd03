"""``goldset serve``: the HTTP API (``/api/v1``) and the web app, over the same library calls
as the CLI, with authentication and access control enforced by the server.

Owns: the app and its errors (``_app``), authentication and CSRF (``_auth``), the JSON API
(``_api``) and the server-rendered pages (``_pages``, ``templates/``, ``static/``). FastAPI,
Starlette, Jinja2 and uvicorn are imported only here, only when the server runs.
"""

from __future__ import annotations

from goldset.service._app import PUBLIC, ServiceConfig, create_app, route_table

__all__ = ["PUBLIC", "ServiceConfig", "create_app", "route_table"]
