"""The HTTP API: routers, schemas and security; `api.app.include_api` adds it to the service's app."""

from __future__ import annotations

__all__: list[str] = []
