"""The review page: suggestions with their evidence, the runs, and sign-in, served at `/`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from homehabits.web.routes import router

__all__ = ["STATIC_FOLDER", "include_review_page"]

#: The page's stylesheet and script, shipped inside the package (no build step).
STATIC_FOLDER = Path(__file__).parent / "static"


def include_review_page(app: FastAPI) -> None:
    """Add the review page's routes and static files to the service (homehabits.app does)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_FOLDER), name="static")
