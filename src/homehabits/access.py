"""Who may use the service: the API token, compared in constant time, and the sign-in cookie.

Shared by the API (which takes the token as a bearer header or the cookie) and the review page
(whose sign-in form sets the cookie), so neither imports the other.
"""

from __future__ import annotations

import hmac

__all__ = ["TOKEN_COOKIE", "token_matches"]

#: The HttpOnly cookie the review page's sign-in form sets.
TOKEN_COOKIE = "homehabits_token"


def token_matches(given: str | None, expected: str) -> bool:
    """Whether a presented token is the API token, compared in constant time."""
    if not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
