"""The server's security, over HTTP against a real `goldset serve` (helpers.service): no route
without credentials, roles enforced and audited on every write, CSRF for cookie sessions, the
upload limit, hostile names, predicates and text, and concurrent writers.

One server (``--max-upload-mb 1``) over one copy of the demo workspace serves the module;
each test compares the bytes of what it must not change before and after.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from test_service_api import (
    API,
    DS,
    WRITES,
    api_write_routes,
    audit_lines,
    copy_served,
    dataset,
    error_of,
    fingerprint,
)

from goldset.access import users as users_mod
from goldset.query import Filters, list_examples
from goldset.service import PUBLIC, create_app, route_table
from goldset.service._auth import SESSION_COOKIE
from goldset.workspace import Workspace, add_user, revoke_user

from helpers.service import USERS, Server, serve
from helpers.workspace import identity_env

MB = 1024 * 1024  # the module's server runs with --max-upload-mb 1
READER = "reader@example.com"
GONE = "gone@example.com"
#: A value for each path parameter the app's routes use (any other gets "x").
PATH_VALUES = {"dataset": DS, "example_id": "refund-001", "id": "refund-001", "sid": "refund_request",
               "scenario": "refund_request", "eid": "typo", "edge_case": "typo"}
#: For each write route of the API, a role that may not do it (the spec's role matrix).
DENIED = {
    ("POST", "/api/v1/datasets/{dataset}/examples"): "eng",             # import: research
    ("POST", "/api/v1/datasets/{dataset}/import"): "pm",                # import: research
    ("PATCH", "/api/v1/datasets/{dataset}/examples/{example_id:path}"): "pm",  # edit: research
    ("POST", "/api/v1/datasets/{dataset}/tag"): "research",             # tag_scenarios: pm
    ("POST", "/api/v1/datasets/{dataset}/review"): "research",          # review: pm
    ("POST", "/api/v1/datasets/{dataset}/scenarios"): "research",       # taxonomy: pm
    ("PATCH", "/api/v1/datasets/{dataset}/scenarios/{sid}"): "eng",
    ("DELETE", "/api/v1/datasets/{dataset}/scenarios/{sid}"): "research",
    ("POST", "/api/v1/datasets/{dataset}/edge-cases"): "eng",           # edge_case_taxonomy: pm, research
    ("DELETE", "/api/v1/datasets/{dataset}/edge-cases/{eid}"): "eng",
    ("POST", "/api/v1/datasets/{dataset}/runs"): "pm",                  # runs: eng, research
    ("DELETE", "/api/v1/datasets/{dataset}/runs/{name}"): "pm",
}


@dataclass
class Secured:
    server: Server
    tmp: Path
    #: Tokens beyond the four roles: a user without a role (a reader), a revoked user.
    tokens: dict[str, str]
    #: A session cookie made with the revoked user's token before it was revoked.
    revoked_cookie: str

    @property
    def root(self) -> Path:
        return self.server.root

    def client(self, who: str | None = None, **kw: Any) -> httpx.Client:
        if who in self.tokens:
            return httpx.Client(base_url=self.server.url, headers={"Authorization": f"Bearer {self.tokens[who]}"},
                                timeout=30, **kw)
        return self.server.client(who, **kw)


@contextlib.contextmanager
def _login(url: str, token: str) -> Iterator[httpx.Client]:
    """A browser: logged in through the login form, keeping the session cookie."""
    with httpx.Client(base_url=url, timeout=30) as browser:
        r = browser.post("/login", data={"token": token})
        assert r.status_code == 303 and SESSION_COOKIE in browser.cookies, r.text
        yield browser


@pytest.fixture(scope="module")
def sec(_served_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    base = tmp_path_factory.mktemp("security")
    root = copy_served(_served_template, base)
    tmp = base / "server-tmp"  # the server's TMPDIR: where it stages uploads
    tmp.mkdir()
    with identity_env(), contextlib.ExitStack() as stack:
        ws = Workspace(root, user=USERS["admin"])
        tokens = {READER: users_mod.Users(ws.state_dir()).add(READER, by=USERS["admin"]),
                  GONE: add_user(ws, GONE, "pm").token or ""}
        server = stack.enter_context(serve(root, "--max-upload-mb", "1", tmpdir=tmp))
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens[GONE]}"}) as c:
            assert c.get("/api/v1/me").json()["email"] == GONE  # the token works, until revoked
        with _login(server.url, tokens[GONE]) as browser:
            cookie = browser.cookies[SESSION_COOKIE]
            assert browser.get("/api/v1/me").status_code == 200
        revoke_user(ws, GONE)
        yield Secured(server=server, tmp=tmp, tokens=tokens, revoked_cookie=cookie)


# -- authentication on every route -----------------------------------------------------------
def _filled(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)


def _public(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PUBLIC)


def test_every_route_needs_credentials(sec: Secured) -> None:
    table = route_table(create_app(sec.root))
    protected = [(path, sorted(methods or {"GET"})) for path, methods in table if not _public(path)]
    api = [p for p, _ in protected if p.startswith("/api/")]
    assert len(api) >= 23 and "/" in [p for p, _ in protected]  # the walk sees the API and the pages
    with _login(sec.server.url, sec.server.tokens["eng"]) as browser:  # a live session, sent as below
        live = browser.cookies[SESSION_COOKIE]
    with httpx.Client(base_url=sec.server.url, cookies={SESSION_COOKIE: live}) as c:
        assert c.get("/api/v1/me").json()["email"] == USERS["eng"]
    forged = live[:-6] + ("AAAAAA" if not live.endswith("AAAAAA") else "BBBBBB")  # its signature broken
    variants: dict[str, dict[str, Any]] = {
        "none": {},
        "wrong token": {"headers": {"Authorization": "Bearer gs_not-a-token"}},
        "not bearer": {"headers": {"Authorization": f"Basic {sec.server.tokens['admin']}"}},
        "revoked token": {"headers": {"Authorization": f"Bearer {sec.tokens[GONE]}"}},
        "revoked session": {"cookies": {SESSION_COOKIE: sec.revoked_cookie}},
        "forged session": {"cookies": {SESSION_COOKIE: forged}},
    }
    before, lines = fingerprint(sec.root), audit_lines(sec.root)
    checked = 0
    for name, kw in variants.items():
        with httpx.Client(base_url=sec.server.url, timeout=30, cookies=kw.get("cookies")) as c:
            for path, methods in protected:
                for method in methods:
                    r = c.request(method, _filled(path), headers=kw.get("headers"))
                    where = (name, method, path)
                    assert r.status_code == 401, (where, r.status_code, r.text[:200])
                    if path.startswith("/api/"):
                        assert r.headers.get("www-authenticate") == "Bearer", where
                        assert r.json()["error"]["type"] == "NotAuthenticated", where
                    checked += 1
    assert checked >= 6 * 40
    assert fingerprint(sec.root) == before and audit_lines(sec.root) == lines
    with sec.client("admin") as c:  # the same requests with a good token do get through
        assert c.get(_filled("/api/v1/datasets/{dataset}/examples/{example_id:path}")).status_code == 200


# -- roles -----------------------------------------------------------------------------------
def test_the_table_covers_every_write_route(sec: Secured) -> None:
    assert set(DENIED) == api_write_routes(sec.root) == {(m, p) for m, p, _, _ in WRITES}


@pytest.mark.parametrize("who", ["role", "reader"])
@pytest.mark.parametrize(("method", "path", "url", "kw"), WRITES, ids=[f"{m} {p.split('}', 1)[1]}" for m, p, _, _ in WRITES])
def test_write_without_the_right_is_403_audited_and_writes_nothing(
    sec: Secured, who: str, method: str, path: str, url: str, kw: dict[str, Any]
) -> None:
    role = DENIED[(method, path)] if who == "role" else None
    email = USERS[role] if role else READER
    before, lines = fingerprint(sec.root), audit_lines(sec.root)
    with sec.client(role or READER) as c:
        r = c.request(method, url, **kw)
    message = error_of(r, 403, "PermissionDenied")
    assert email in message and "needs role" in message
    assert fingerprint(sec.root) == before  # store, spec and suites: not a byte changed
    new = audit_lines(sec.root)[len(lines):]
    assert audit_lines(sec.root)[:len(lines)] == lines
    assert [(e["user"], e["role"], e["allowed"]) for e in new] == [(email, role, False)]


# -- CSRF ------------------------------------------------------------------------------------
def _csrf_of(browser: httpx.Client) -> str:
    page = browser.get("/")
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def test_cookie_writes_need_the_csrf_token(sec: Secured) -> None:
    body = {"ids": ["refund-003"], "add_scenarios": ["loyalty_points"]}
    before, lines = fingerprint(sec.root), audit_lines(sec.root)
    with _login(sec.server.url, sec.server.tokens["pm"]) as browser:
        assert browser.get("/api/v1/me").json()["email"] == USERS["pm"]  # the cookie authenticates
        error_of(browser.post(f"{API}/tag", json=body), 403, "CsrfFailed")
        error_of(browser.post(f"{API}/tag", json=body, headers={"X-CSRF-Token": "forged"}), 403, "CsrfFailed")
        error_of(browser.delete(f"{API}/scenarios/loyalty_points"), 403, "CsrfFailed")
        assert fingerprint(sec.root) == before and audit_lines(sec.root) == lines
        token = _csrf_of(browser)
        r = browser.post(f"{API}/tag", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["updated"] == 1, r.text
    assert "loyalty_points" in dataset(sec.root).get("refund-003")["scenarios"]
    assert (audit_lines(sec.root)[-1]["op"], audit_lines(sec.root)[-1]["user"]) == ("tag", USERS["pm"])
    with _login(sec.server.url, sec.server.tokens["pm"]) as other:  # another session's token is not this one's
        error_of(other.post(f"{API}/tag", json=body, headers={"X-CSRF-Token": token}), 403, "CsrfFailed")


def test_cookie_upload_form_needs_the_csrf_field(sec: Secured) -> None:
    """A browser's form post: the CSRF token as a form field beside the file."""
    jsonl = b'{"id": "csrf-imp-1", "input": "Uploaded from the browser"}\n'
    with _login(sec.server.url, sec.server.tokens["research"]) as browser:
        before = fingerprint(sec.root)
        error_of(browser.post(f"{API}/import", files={"file": ("b.jsonl", jsonl)}), 403, "CsrfFailed")
        error_of(browser.post(f"{API}/import", files={"file": ("b.jsonl", jsonl)}, data={"csrf_token": "no"}), 403)
        assert fingerprint(sec.root) == before
        token = _csrf_of(browser)
        # Just over the limit (the body's declared length passes the early check): the copy counts.
        big = jsonl * ((MB + 10_000) // len(jsonl) + 1)
        error_of(browser.post(f"{API}/import", files={"file": ("big.jsonl", big)}, data={"csrf_token": token}), 413)
        assert fingerprint(sec.root) == before and not list(sec.tmp.glob("goldset-upload-*"))
        r = browser.post(f"{API}/import", files={"file": ("b.jsonl", jsonl)}, data={"csrf_token": token})
    assert r.status_code == 200 and r.json()["added"] == 1, r.text
    assert dataset(sec.root).get("csrf-imp-1")["created_by"] == USERS["research"]


# -- the upload limit ------------------------------------------------------------------------
def _chunked_multipart(name: str, size: int) -> Iterator[bytes]:
    """A multipart body sent in chunks (no Content-Length): the limit must hold while it streams."""
    yield (b'--gsb\r\nContent-Disposition: form-data; name="file"; filename="' + name.encode()
           + b'"\r\nContent-Type: application/octet-stream\r\n\r\n')
    line = b'{"input": "' + b"x" * 1000 + b'"}\n'
    sent = 0
    while sent < size:
        yield line * 64
        sent += len(line) * 64
    yield b"\r\n--gsb--\r\n"


def test_upload_over_the_limit_is_413_and_writes_nothing(sec: Secured) -> None:
    big = b"".join(b'{"id": "big-%d", "input": "%s"}\n' % (i, b"y" * 1000) for i in range(2048))  # 2 MB
    assert len(big) > 2 * 1024 * 1024
    before, lines = fingerprint(sec.root), audit_lines(sec.root)
    with sec.client("research") as c:
        declared = c.post(f"{API}/import", files={"file": ("big.jsonl", big)})
        assert "--max-upload-mb" in error_of(declared, 413, "HTTPError")
        just_over = big[:MB + 10_000]  # within the early check's allowance for multipart framing
        error_of(c.post(f"{API}/import", files={"file": ("big.jsonl", just_over)}), 413, "HTTPError")
        streamed = c.post(f"{API}/import", content=_chunked_multipart("big.jsonl", 2 * 1024 * 1024),
                          headers={"content-type": "multipart/form-data; boundary=gsb"})
        assert "transfer-encoding" not in declared.request.headers
        assert streamed.request.headers["transfer-encoding"] == "chunked"
        error_of(streamed, 413, "HTTPError")
        plan = c.post(f"{API}/import", params={"dry_run": "true"}, content=_chunked_multipart("big.jsonl", 2 * 1024 * 1024),
                      headers={"content-type": "multipart/form-data; boundary=gsb"})
        error_of(plan, 413, "HTTPError")
        assert fingerprint(sec.root) == before and audit_lines(sec.root) == lines
        assert not list(sec.tmp.glob("goldset-upload-*"))  # the partial files are gone
        # Still healthy: it answers, and a small upload goes in.
        assert c.get("/api/v1/me").status_code == 200
        small = c.post(f"{API}/import", files={"file": ("small.jsonl", big[:4096].rsplit(b"\n", 1)[0] + b"\n")})
        assert small.status_code == 200 and small.json()["added"] == 3, small.text
        json_big = c.post(f"{API}/tag", json={"ids": ["x" * 1000] * 20_000, "add_scenarios": ["small_talk"]})
        error_of(json_big, 413, "BodyTooLarge")  # every body is capped (goldset.service._limits)
    assert not list(sec.tmp.glob("goldset-upload-*"))
    assert sec.server.proc.poll() is None


# -- hostile names, predicates and text ------------------------------------------------------
def _raw(server: Server, method: str, path: str, token: str, body: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """A request with exactly this path (no client-side normalization of '..' or escapes)."""
    u = urlsplit(server.url)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


HOSTILE_NAMES = ["..", "%2E%2E", "%2e%2e", "..%2Fetc", "%2E%2E%2Fetc", "..%2F..%2Fetc", "..%5Cetc", "%2E%2E%5C",
                 ".", "%00", "support-bot%00", "Support-Bot", "support-bot%2F..", "etc%2Fpasswd", "no-such-set"]


def test_hostile_dataset_names_are_404(sec: Secured) -> None:
    token = sec.server.tokens["admin"]
    before, lines = fingerprint(sec.root), audit_lines(sec.root)
    for name in HOSTILE_NAMES:
        for tail in ("", "/examples", "/coverage", "/audit", "/examples/refund-001", "/scenarios"):
            status, body = _raw(sec.server, "GET", f"/api/v1/datasets/{name}{tail}", token)
            assert status == 404, (name, tail, status, body)
            assert body["error"]["type"] in ("WorkspaceError", "HTTPError"), body
        status, body = _raw(sec.server, "POST", f"/api/v1/datasets/{name}/tag", token,
                            json.dumps({"ids": ["refund-001"], "add_edge_cases": ["typo"]}).encode())
        assert status == 404, (name, status, body)
    for path in ("/api/v1/datasets/../etc/examples", "/api/v1/datasets/../../../../etc/passwd",
                 "/api/v1/datasets/support-bot/../../goldset.yaml",
                 "/api/v1/datasets/support-bot/examples/..%2F..%2F..%2Fgoldset.yaml"):
        assert _raw(sec.server, "GET", path, token)[0] == 404, path
    assert fingerprint(sec.root) == before and audit_lines(sec.root) == lines
    assert not (sec.root.parent / "etc").exists() and not (sec.root / "etc").exists()


FILE_READS = [
    "input IN (SELECT * FROM read_csv('/etc/passwd'))",
    "input IN (SELECT content FROM read_text('/etc/passwd'))",
    "length(read_text('/etc/passwd')::VARCHAR) > 0",
    "input = getenv('HOME')",
    "true; COPY examples TO '/tmp/goldset-leak.csv'",
]


def test_where_cannot_read_files(sec: Secured) -> None:
    before, lines = fingerprint(sec.root), audit_lines(sec.root)
    with sec.client("pm") as c:
        for where in FILE_READS:
            for r in (c.get(f"{API}/examples", params={"where": where}),
                      c.post(f"{API}/tag", json={"where": where, "add_scenarios": ["small_talk"]}),
                      c.post(f"{API}/review", json={"where": where, "action": "retire", "dry_run": True})):
                msg = error_of(r, 400, "BadInput")
                assert "root:" not in r.text and "--where" in msg, (where, msg)
    assert fingerprint(sec.root) == before
    assert audit_lines(sec.root) == lines
    assert not Path("/tmp/goldset-leak.csv").exists()


HOSTILE = {
    "input": "<script>alert(1)</script> & <b onclick=\"x()\">'quotes'</b>",
    "expected": "\" onmouseover=\"x",
    "source": "</textarea><img src=x onerror=alert(1)>",
    "metadata": {"note": "</script><!--", "k\"ey": "{{ 7*7 }} ${7*7}"},
}


def test_hostile_text_round_trips_as_data(sec: Secured) -> None:
    with sec.client("research") as c:
        r = c.post(f"{API}/examples", json={"examples": [{"id": "xss-1", **HOSTILE}]})
        assert r.status_code == 200, r.text
        got = c.get(f"{API}/examples/xss-1")
        found = c.get(f"{API}/examples", params={"q": "<script>alert(1)</script>"}).json()
        tagged = c.post(f"{API}/tag", json={"ids": ["xss-1"], "add_edge_cases": ["typo"], "note": HOSTILE["expected"]})
        log = c.get(f"{API}/audit", params={"limit": 1}).json()["entries"][0]
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-content-type-options"] == "nosniff"
    row = got.json()["example"]
    assert {k: row[k] for k in ("input", "expected", "source")} == {k: HOSTILE[k] for k in ("input", "expected", "source")}
    assert json.loads(row["metadata"]) == HOSTILE["metadata"]
    assert [x["id"] for x in found["rows"]] == ["xss-1"]
    assert tagged.status_code == 200 and log["note"].endswith(HOSTILE["expected"])
    assert dataset(sec.root).get("xss-1")["input"] == HOSTILE["input"]


# -- concurrent writers ----------------------------------------------------------------------
def test_concurrent_tags_lose_no_update(sec: Secured) -> None:
    ids = list_examples(dataset(sec.root), Filters(where="NOT list_contains(scenarios, 'small_talk') AND id LIKE 'order-%'")
                        ).column("id").to_pylist()[:16]
    assert len(ids) == 16
    halves = [ids[0::2], ids[1::2]]
    start = threading.Barrier(2)
    results: list[list[int]] = [[], []]

    def worker(n: int) -> None:
        with sec.client("pm" if n == 0 else "admin") as c:
            start.wait()
            for i in halves[n]:
                r = c.post(f"{API}/tag", json={"ids": [i], "add_scenarios": ["small_talk"], "note": f"thread {n}"})
                results[n].append(r.status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [[200] * 8, [200] * 8]
    ds = dataset(sec.root)
    assert [i for i in ids if "small_talk" not in ds.get(i)["scenarios"]] == []
    tags = [e for e in audit_lines(sec.root) if e["op"] == "tag" and (e["note"] or "").endswith(("thread 0", "thread 1"))]
    assert sorted(i for e in tags for i in e["ids"]) == sorted(ids)
    assert {e["user"] for e in tags} == {USERS["pm"], USERS["admin"]}


def test_every_body_is_capped_before_login_and_form_parsing(sec: Secured) -> None:
    """No route reads an unbounded body: not the public login form, not an anonymous write,
    not a cookie-authenticated form that the CSRF check parses (goldset.service._limits)."""
    from goldset.service._limits import MAX_BODY

    over = MAX_BODY + 1024
    with httpx.Client(base_url=sec.server.url, timeout=60) as anon:
        declared = anon.post("/login", content=b"token=" + b"x" * over,
                             headers={"content-type": "application/x-www-form-urlencoded"})
        assert declared.status_code == 413 and declared.json()["error"]["type"] == "BodyTooLarge"

        def chunks() -> Iterator[bytes]:
            for _ in range(over // 65536 + 1):
                yield b"y" * 65536

        streamed = anon.post("/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
        assert streamed.status_code in (400, 413)  # Starlette's own 1 MB field cap may refuse it first
        api = anon.post(f"{API}/tag", content=chunks(), headers={"content-type": "application/json"})
        assert api.status_code in (401, 413)  # refused either way, never read whole
    with _login(sec.server.url, sec.tokens[READER]) as browser:
        # A multipart form without the CSRF header: the CSRF check parses the form, whose file
        # part Starlette would spool to disk without a limit; the cap cuts it off first.
        form = browser.post("/logout", content=_chunked_multipart("big.bin", over),
                            headers={"content-type": "multipart/form-data; boundary=gsb"})
        assert form.status_code == 413
    assert sec.server.proc.poll() is None
    with sec.client("pm") as c:
        assert c.get("/api/v1/me").status_code == 200
