"""HTML that users write (a project's instructions), cleaned on the way in as Label Studio does:
scripts, event-handler attributes, ``javascript:`` links, styles and frames removed, safe markup
(headings, lists, emphasis, links, tables, images) kept. Pure code (nh3, the Ammonia sanitizer)."""

from __future__ import annotations

import nh3


def sanitize(html: str) -> str:
    return nh3.clean(html, url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
