"""Rules the server decides and the page follows are served with the page, in base.html's
``#preflab-rules`` JSON block (web/pages.py ``page_rules``, read by js/rules.js): the project's
media hosts exactly as its Content-Security-Policy lists them, and the keys a Ranker item's text
is read from, as preflab.domain.preferences reads them."""

from __future__ import annotations

import html
import re

import orjson

from preflab.domain.preferences import ITEM_TEXT_KEYS
from tests.conftest import PAIRWISE

BLOCK = re.compile(r'<script type="application/json" id="preflab-rules">(.*?)</script>', re.S)


def rules_of(page) -> dict:
    [found] = BLOCK.findall(page.text)
    return orjson.loads(html.unescape(found))


def log_in(client, account) -> None:
    data = {"email": account.email, "password": account.password, "next": "/projects"}
    assert client.post("/user/login", data=data, follow_redirects=False).status_code == 303


def test_the_page_is_served_the_server_s_rules(client, api, owner):
    hosts = "CDN.example.com media.example.org:8443 bad..host -dash.example cdn.example.com"
    body = {"title": "m", "label_config": PAIRWISE, "media_hosts": hosts}
    r = api.post("/api/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    log_in(client, owner)
    for path in (f"/projects/{pid}/label", f"/projects/{pid}/settings", f"/projects/{pid}/tasks/1"):
        page = client.get(path)
        assert page.status_code == 200, path
        rules = rules_of(page)
        assert rules == {
            "media_hosts": ["cdn.example.com", "media.example.org:8443"],
            "item_text_keys": list(ITEM_TEXT_KEYS),
        }, path
        policy = page.headers["content-security-policy"]
        listed = {
            s.split("://", 1)[1].rstrip(";") for s in policy.split() if s.startswith(("https://", "http://"))
        }
        assert listed == set(rules["media_hosts"]), path  # the page loads what the policy allows
    # a page without a project: no media hosts
    assert rules_of(client.get("/projects/new"))["media_hosts"] == []


def test_a_project_without_media_hosts_serves_none(client, api, owner, project):
    log_in(client, owner)
    assert rules_of(client.get(f"/projects/{project}/label"))["media_hosts"] == []
