"""The web view's defences: what a browser may do with its pages, and who may see them.

Agent output is untrusted (an answer may hold ``<script>``, an ``onerror=`` attribute or a
``javascript:`` link). The page only ever sets it as text (``textContent``), never as markup,
and :class:`SecurityHeaders` adds a Content-Security-Policy that runs no script but the
page's own files, loads nothing from elsewhere, and cannot be framed.

With keys (``--api-key``), every page and its data need one: an ``Authorization: Bearer KEY``
header (scripts), or the session cookie that signing in with a key at ``/login`` sets
(browsers). The cookie is HttpOnly and SameSite=Strict, and holds a token, not the key: a random
nonce and its HMAC under a secret the server draws when it starts (before it forks its workers,
so every worker accepts the tokens of every other). Tokens live as long as the server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth import Keys

__all__ = ["COOKIE", "CSP", "Access", "SecurityHeaders"]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
COOKIE = "massgen_session"


class SecurityHeaders:
    """ASGI middleware: the headers above on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *_HEADERS]
            await send(message)

        await self.app(scope, receive, send_secured)


class Access:
    """Who may see the web view: anyone (no keys), or holders of a key or of a session token."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self._secret = secrets.token_bytes(32)

    @property
    def open(self) -> bool:
        return not self.keys

    def _signature(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()  # ASCII

    def allows(self, request: Request) -> bool:
        if not self.keys:
            return True
        if self.keys.check(request.headers.get("authorization")) is None:
            return True
        nonce, _, signature = request.cookies.get(COOKIE, "").partition(".")
        return bool(nonce) and hmac.compare_digest(signature.encode(), self._signature(nonce).encode())

    def sign_in(self, key: str) -> str | None:
        """A new session token for a valid ``key``; ``None`` for a wrong one."""
        if not self.keys.accepts(key.strip()):
            return None
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._signature(nonce)}"
