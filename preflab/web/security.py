"""Security headers on every response, with an enforced Content-Security-Policy: scripts,
styles, fonts and images come from this server only, and nothing is framed or fetched elsewhere.
A project's pages widen ``img-src`` and ``media-src`` to the hosts in its ``media_hosts`` and no
others (``project_csp``); a response that brings its own header keeps it."""

import re

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: A host name (letters, digits, dashes, dots), optionally with a port; nothing else reaches a policy.
_HOST = re.compile(
    r"^(?=.{1,253}(?::|$))[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?$"
)


def media_hosts(value: str | None) -> list[str]:
    """The valid host names of a project's space-separated ``media_hosts``, lower-cased, in order."""
    out: list[str] = []
    for host in (value or "").split():
        host = host.lower()
        if _HOST.match(host) and host not in out:
            out.append(host)
    return out


def project_csp(value: str | None) -> str:
    """The policy for a project's pages: the default one, with http(s) images, audio and video
    from the project's media hosts."""
    sources = " ".join(f"https://{h} http://{h}" for h in media_hosts(value))
    if not sources:
        return CSP
    return CSP.replace(
        "img-src 'self' data:;", f"img-src 'self' data: {sources}; media-src 'self' {sources};"
    )


HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message = {
                    **message,
                    "headers": [*message.get("headers", []), *(h for h in HEADERS if h[0] not in present)],
                }
            await send(message)

        await self.app(scope, receive, send_with_headers)
