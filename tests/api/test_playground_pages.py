"""The playground and the API reference pages are served from this server alone (no CDN)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_root_leads_to_the_playground(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/playground"
    page = client.get("/playground")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<title>Limner playground</title>" in page.text


def test_every_playground_asset_is_served(client: TestClient) -> None:
    html = client.get("/playground").text
    pending = re.findall(r'(?:src|href)="(/playground/assets/[^"]+)"', html)
    assert pending, "the page references its assets"
    seen: set[str] = set()
    while pending:  # follow the module imports too
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        answer = client.get(path)
        assert answer.status_code == 200, path
        for module in re.findall(r'from "\./([\w.-]+\.js)"', answer.text):
            pending.append(path.rsplit("/", 1)[0] + "/" + module)
    assert {"/playground/assets/js/main.js", "/playground/assets/js/api.js"} <= seen
    assert not re.search(r"https?://", html.replace("http://www.w3.org", ""))


def test_docs_and_redoc_use_local_assets(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn." not in html and "googleapis" not in html
        for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', html):
            assert client.get(asset).status_code == 200, asset
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/redoc.standalone.js").status_code == 200


def test_the_pages_carry_a_csp_and_refuse_framing(client: TestClient) -> None:
    for path in ("/playground", "/docs", "/redoc", "/docs/oauth2-redirect"):
        page = client.get(path)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and page.headers["x-frame-options"] == "DENY"
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0], path
    assert "script-src 'self';" in client.get("/playground").headers["content-security-policy"]


def test_the_swagger_page_inline_script_is_allowed_by_its_hash(client: TestClient) -> None:
    import base64
    import hashlib

    page = client.get("/docs")
    scripts = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert scripts, "Swagger UI starts from an inline script"
    policy = page.headers["content-security-policy"]
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_the_favicon_is_served(client: TestClient) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/x-icon"
    assert answer.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert '<link rel="icon" href="/favicon.ico">' in client.get("/playground").text
