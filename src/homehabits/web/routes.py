"""The review page's routes: suggestions, runs, sign-in and sign-out (HTML; actions use the API)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import jinja2
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from homehabits import __version__
from homehabits.access import TOKEN_COOKIE, ingress_of, token_matches
from homehabits.config import Settings
from homehabits.phrasing import elapsed
from homehabits.store import repository
from homehabits.store.fleet import fleet_homes, home_runs
from homehabits.store.records import RunRecord, SuggestionRecord, SuggestionStatus
from homehabits.store.suggestions import OWN_HOME
from homehabits.store.versions import versions_of
from homehabits.web.deps import AnalysisRunningDep, SessionsDep, SettingsDep
from homehabits.web.pages import (
    ACTIONS,
    GROUP_ORDER,
    KIND_LABELS,
    STATUS_LABELS,
    RunFacts,
    build_card,
    build_groups,
    build_run,
    zone_named,
)

__all__ = ["SECURITY_HEADERS", "router", "templates"]

_HERE = Path(__file__).parent
_MOST_SUGGESTIONS = 500
_RUNS_SHOWN = 30
_HOME_RUNS_SHOWN = 5
_COOKIE_DAYS = 30
_FORM_LIMIT = 8192
_PAGES = (
    "/",
    "/runs",
    "/automations",
)  # where sign-in may send the owner back to (never an outside address)

#: Sent with every page: nothing loads from elsewhere, no inline script or style runs.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

# Home Assistant shows an ingress page in an iframe of its own frontend, on the same origin
_INGRESS_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"].replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    ),
}

router = APIRouter(include_in_schema=False)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["seconds"] = elapsed
    env.globals.update(
        version=__version__,
        status_labels={key.value: value for key, value in STATUS_LABELS.items()},
        kind_labels=KIND_LABELS,
        read_only=False,  # a fleet home's page sets it: no review controls on its cards
        actions={name: " ".join(sorted(s.value for s in when)) for name, when in ACTIONS.items()},
    )
    return env


templates = Jinja2Templates(env=_environment())


@router.get("/", response_class=HTMLResponse)
async def suggestions_page(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    analysis_running: AnalysisRunningDep,
    status_filter: Annotated[str, Query(alias="status")] = "",
    kind: str = "",
    area: str = "",
    home: str = "",
) -> Response:
    """One home's suggestions, grouped by status, filtered by area, kind and status.

    The service's own home by default; with a fleet in the database (homehabits fleet), a
    selector shows its homes and `home` chooses one, read-only.
    """
    if not _signed_in(request, settings):
        return _sign_in_page(request, next_page="/")
    chosen = _status_or_none(status_filter)
    homes = await fleet_homes(sessions)
    fleet_home = home if home in {one.home_id for one in homes} else None
    shown_home = fleet_home or OWN_HOME
    every = await repository.list_suggestions(sessions, limit=_MOST_SUGGESTIONS, home_id=shown_home)
    matching = every
    if kind or area:
        matching = await repository.list_suggestions(
            sessions,
            kind=kind or None,
            area=area or None,
            limit=_MOST_SUGGESTIONS,
            home_id=shown_home,
        )
    counts = Counter(record.status.value for record in matching)
    shown = [record for record in matching if chosen is None or record.status is chosen]
    # the runs that found the shown suggestions, in one query (never one per suggestion)
    runs = await repository.runs_by_id(sessions, {record.run_id for record in shown})
    zone = _home_zone(settings)
    # and their versions, in one query too
    history = await versions_of(sessions, [record.id for record in shown])
    cards = [
        build_card(record, _run_facts(runs.get(record.run_id), zone), history.get(record.id, ()))
        for record in shown
    ]
    # the deployed ones' track records, in one query
    deployed = [r.id for r in shown if r.status is SuggestionStatus.DEPLOYED]
    tracks = await repository.track_records(sessions, deployed)
    runs_of_home = await home_runs(sessions, fleet_home, _HOME_RUNS_SHOWN)
    context = {
        "groups": build_groups(cards, [chosen] if chosen else None),
        "counts": {status.value: counts.get(status.value, 0) for status in GROUP_ORDER},
        "total": len(matching),
        "truncated": len(every) >= _MOST_SUGGESTIONS,
        "most": _MOST_SUGGESTIONS,
        "areas": _areas(every),
        "kinds": sorted({record.kind for record in every}),
        "chosen": {"status": chosen.value if chosen else "", "kind": kind, "area": area},
        "unknown_status": status_filter if status_filter and chosen is None else "",
        "latest_run": runs_of_home[0] if runs_of_home else None,
        "analysis_running": analysis_running,
        "track_records": {suggestion_id: t.words for suggestion_id, t in tracks.items()},
        "homes": homes,
        "own_suggestions": await repository.count_suggestions(sessions, home_id=OWN_HOME)
        if homes
        else 0,
        "home": fleet_home or "",
        "unknown_home": home if home and fleet_home is None else "",
        # a fleet home's suggestions are shown, never reviewed here (the API refuses too)
        "read_only": fleet_home is not None,
        "home_runs": [build_run(run, zone) for run in runs_of_home] if fleet_home else [],
    }
    return _page(request, "suggestions.html", context, settings)


@router.get("/runs", response_class=HTMLResponse)
async def runs_page(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    analysis_running: AnalysisRunningDep,
) -> Response:
    """The history of analysis runs: phases, counts, model cost, status and errors."""
    if not _signed_in(request, settings):
        return _sign_in_page(request, next_page="/runs")
    zone = _home_zone(settings)
    runs = [build_run(run, zone) for run in await repository.list_runs(sessions, _RUNS_SHOWN)]
    context = {"runs": runs, "analysis_running": analysis_running}
    return _page(request, "runs.html", context, settings)


@router.get("/automations", response_class=HTMLResponse)
async def automations_page(
    request: Request, sessions: SessionsDep, settings: SettingsDep
) -> Response:
    """The home's own automations as the newest run watched them, those with problems first."""
    if not _signed_in(request, settings):
        return _sign_in_page(request, next_page="/automations")
    run_id, records = await repository.home_automations(sessions)
    zone = _home_zone(settings)
    context = {
        "run_id": run_id,
        "automations": [(record, _when(record.last_fired, zone)) for record in records],
        "troubled": sum(1 for record in records if record.problems),
    }
    return _page(request, "automations.html", context, settings)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M") if moment else ""


@router.get("/login", response_class=HTMLResponse)
async def sign_in_form(request: Request, settings: SettingsDep) -> Response:
    """The sign-in form (or the suggestions, when no token is needed or already signed in)."""
    if _signed_in(request, settings):
        return RedirectResponse(f"{_base(request)}/", status_code=status.HTTP_303_SEE_OTHER)
    return _sign_in_page(request, next_page="/")


@router.post("/login", response_class=HTMLResponse)
async def sign_in(request: Request, settings: SettingsDep) -> Response:
    """Check the API token (constant time) and keep it in an HttpOnly, SameSite=Strict cookie."""
    form = await _form(request)
    next_page = form.get("next", "/") if form.get("next") in _PAGES else "/"
    if settings.api_token is None:
        return RedirectResponse(_base(request) + next_page, status_code=status.HTTP_303_SEE_OTHER)
    # token_matches compares with hmac.compare_digest, so timing tells nothing about the token
    if not token_matches(form.get("token"), settings.api_token):
        return _sign_in_page(
            request,
            next_page=next_page,
            error="That token is not the one this service was started with.",
        )
    response = RedirectResponse(_base(request) + next_page, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        TOKEN_COOKIE,
        settings.api_token,
        max_age=_COOKIE_DAYS * 24 * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.api_route("/logout", methods=["GET", "POST"])
async def sign_out(request: Request) -> Response:
    """Forget the sign-in cookie and go back to the sign-in form."""
    response = RedirectResponse(f"{_base(request)}/", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _signed_in(request: Request, settings: Settings) -> bool:
    if settings.api_token is None:
        return True
    return token_matches(request.cookies.get(TOKEN_COOKIE), settings.api_token)


def _base(request: Request) -> str:
    """The path prefix of every link: ingress's /api/hassio_ingress/<token>, else nothing."""
    ingress = ingress_of(request.scope)
    return ingress.base if ingress else ""


def _headers(request: Request) -> dict[str, str]:
    return _INGRESS_HEADERS if ingress_of(request.scope) else SECURITY_HEADERS


def _where(request: Request) -> dict[str, Any]:
    """What every page needs to know of where it is served and to whom."""
    ingress = ingress_of(request.scope)
    user = ingress.user if ingress else None
    return {"base": _base(request), "ha_user": user.label if user else ""}


def _page(request: Request, name: str, context: dict[str, Any], settings: Settings) -> Response:
    context = {
        **context,
        **_where(request),
        "signed_in_with_token": settings.api_token is not None,
    }
    return templates.TemplateResponse(request, name, context, headers=_headers(request))


def _sign_in_page(request: Request, *, next_page: str, error: str = "") -> Response:
    return templates.TemplateResponse(
        request,
        "login.html",
        {"next_page": next_page, "error": error, "signed_in_with_token": False, **_where(request)},
        status_code=status.HTTP_401_UNAUTHORIZED,
        headers=_headers(request),
    )


async def _form(request: Request) -> dict[str, str]:
    # a URL-encoded form of one or two fields; parsed here to need no multipart library
    body = await request.body()
    if len(body) > _FORM_LIMIT:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {name: values[0] for name, values in fields.items() if values}


def _status_or_none(text: str) -> SuggestionStatus | None:
    try:
        return SuggestionStatus(text) if text else None
    except ValueError:
        return None


def _home_zone(settings: Settings) -> ZoneInfo:
    return zone_named(settings.time_zone, ZoneInfo("UTC"))


def _run_facts(run: RunRecord | None, fallback: ZoneInfo) -> RunFacts:
    if run is None:
        return RunFacts(zone=fallback, window=None)
    return RunFacts(
        zone=zone_named(run.summary.time_zone, fallback), window=(run.window_start, run.window_end)
    )


def _areas(records: list[SuggestionRecord]) -> list[tuple[str, str]]:
    """(value, name) of every area that has a suggestion, by name."""
    found = {
        record.area_id or record.area_name or "": record.area_name or record.area_id or ""
        for record in records
        if record.area_id or record.area_name
    }
    return sorted(found.items(), key=lambda pair: pair[1].lower())
