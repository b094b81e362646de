"""The API's documentation: /openapi.json and Swagger UI at /docs, under ingress's prefix too.

FastAPI's own docs routes build their URLs from a fixed root path and load Swagger UI from a
CDN. Behind Home Assistant's ingress every request comes with its own prefix
(/api/hassio_ingress/<token>), and a home may have no internet, so these routes build every
URL from the request's ingress prefix and serve Swagger UI's files themselves.
"""

from __future__ import annotations

from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from homehabits.access import ingress_of

__all__ = ["ASSETS_PATH", "DOCS_PATH", "OPENAPI_PATH", "include_docs"]

#: Where the OpenAPI document, the docs page and Swagger UI's own files are served.
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
_OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"


def include_docs(app: FastAPI) -> None:
    """Serve the OpenAPI document and Swagger UI on the app (FastAPI's own routes are off)."""

    async def openapi_document(request: Request) -> JSONResponse:
        return JSONResponse(_document_for(app, _prefix(request)))

    async def docs_page(request: Request) -> HTMLResponse:
        prefix = _prefix(request)
        return get_swagger_ui_html(
            openapi_url=f"{prefix}{OPENAPI_PATH}",
            title=f"{app.title} - API",
            swagger_js_url=f"{prefix}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{prefix}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{prefix}{ASSETS_PATH}/favicon-32x32.png",
            oauth2_redirect_url=f"{prefix}{_OAUTH2_REDIRECT_PATH}",
        )

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_route(OPENAPI_PATH, openapi_document, include_in_schema=False)
    app.add_route(DOCS_PATH, docs_page, include_in_schema=False)
    app.add_route(_OAUTH2_REDIRECT_PATH, oauth2_redirect, include_in_schema=False)
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), "docs-assets")


def _prefix(request: Request) -> str:
    """The ingress prefix of this request's URLs; nothing outside ingress."""
    ingress = ingress_of(request.scope)
    return ingress.base if ingress else ""


def _document_for(app: FastAPI, prefix: str) -> dict[str, Any]:
    """The OpenAPI document; under ingress its server is the prefix, so "Try it out" calls
    go through the Supervisor and not to Home Assistant's own /api."""
    document = app.openapi()
    if not prefix:
        return document
    # a copy: the prefix is per request (each ingress session has its own token)
    return {**document, "servers": [{"url": prefix}]}
