"""The HTTP service: the FastAPI app factory (`api.app.create_app`), its routers and security."""

from __future__ import annotations

__all__: list[str] = []
