"""Model runs over HTTP, against a real `goldset serve` (helpers.service) on the demo golden set:
runs added through the API (a streamed multipart upload) as an eng user, and every read (list,
record, report, comparison, launch verdict) equal to the library's answer on the same
workspace; roles, the upload limit, bad files and hostile names refused with nothing written;
and the Runs pages in Chromium, hostile text inert.

One server (``--max-upload-mb 1``, its own TMPDIR) serves the module; its fixture adds the two
runs the tests read. The stale-run test changes the data, so it has a server of its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from test_service_api import API, DS, as_json, audit_lines, copy_served, error_of

import goldset.errors
from goldset.access import users as users_mod
from goldset.runs import compare_runs, find_run, list_runs, run_report
from goldset.service._auth import SESSION_COOKIE
from goldset.validation import launch
from goldset.workspace import Dataset, Workspace

from helpers.service import REPO, USERS, Server, serve
from helpers.workspace import identity_env

READER = "run-reader@example.com"
MB = 1024 * 1024
HOSTILE_SCENARIO = '<b onmouseover="alert(6)">odd/runs</b>'
HOSTILE_INPUT = "<script>alert(1)</script>"
HOSTILE_EXPECTED = "<img src=x onerror=alert(3)>"
HOSTILE_OUTPUT = '"><svg onload=alert(9)>'
HOSTILE_MODEL = "<img src=x onerror=alert(8)> model"
HOSTILE_ID = "xss-run-1"


def _examples() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (REPO / "demo" / "support-bot.jsonl").read_text(encoding="utf-8").splitlines()]
    return [*rows, {"id": HOSTILE_ID, "expected": HOSTILE_EXPECTED}]


def run_file(wrong_every: int, hostile: bool = False) -> bytes:
    """A run's outputs as JSONL: the expected output, except every ``wrong_every``-th row;
    the answer in column ``answer`` (so the upload maps it: map=output=answer)."""
    lines = []
    for i, row in enumerate(_examples()):
        answer = row.get("expected") if i % wrong_every else "wrong"
        if row["id"] == HOSTILE_ID:
            answer = HOSTILE_OUTPUT if hostile else row["expected"]
        lines.append({"id": row["id"], "answer": answer, "latency_ms": 100 + i})
    return b"".join(json.dumps(r).encode() + b"\n" for r in lines)


def post_run(c: httpx.Client, name: str, data: bytes, filename: str = "outputs.jsonl", **fields: Any) -> httpx.Response:
    return c.post(f"{API}/runs", files={"file": (filename, data, "application/octet-stream")}, data={"name": name, **fields})


def same_report(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two run reports (as JSON) are the same, up to the order of the polarity groups, which the
    library leaves to DuckDB's grouping (it differs between two calls on the same run)."""
    def key(r: dict[str, Any]) -> dict[str, Any]:
        return {**r, "polarity": sorted(r["polarity"], key=lambda g: g["id"])}
    return key(a) == key(b)


def dataset(root: Path) -> Dataset:
    return Workspace.open(root).dataset(DS)


def runs_state(root: Path) -> dict[str, str]:
    """SHA-256 of every run file, and of any run temp file goldset left under .goldset/tmp."""
    out = {}
    for base in (root / "runs", root / ".goldset" / "tmp"):
        for p in sorted(base.rglob("*")) if base.is_dir() else []:
            if p.is_file() and not p.name.endswith(".lock"):
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@dataclass
class RunServer:
    server: Server
    #: The server's TMPDIR, where uploads are staged.
    tmp: Path
    reader_token: str
    #: The API's answers to the fixture's two run uploads (as eng).
    added: dict[str, httpx.Response]

    @property
    def root(self) -> Path:
        return self.server.root

    def client(self, who: str) -> httpx.Client:
        if who == READER:
            return httpx.Client(base_url=self.server.url, headers={"Authorization": f"Bearer {self.reader_token}"}, timeout=60)
        return self.server.client(who)

    def no_upload_left(self) -> bool:
        return not list(self.tmp.glob("goldset-upload-*")) and not list((self.root / ".goldset" / "tmp").glob("run-*"))


def _add_hostile_examples(root: Path) -> None:
    from goldset.curation import ScenarioFields, add_scenario
    from goldset.ingest import add

    ds = Workspace(root, user=USERS["admin"]).dataset(DS)
    add_scenario(ds, HOSTILE_SCENARIO, ScenarioFields(description=HOSTILE_INPUT, priority="P2"))
    add(ds, [{"id": HOSTILE_ID, "input": HOSTILE_INPUT, "expected": HOSTILE_EXPECTED, "scenarios": [HOSTILE_SCENARIO],
              "status": "approved"}])


@pytest.fixture(scope="module")
def rs(_served_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunServer]:
    base = tmp_path_factory.mktemp("runs")
    root = copy_served(_served_template, base)
    tmp = base / "server-tmp"
    tmp.mkdir()
    with identity_env(), contextlib.ExitStack() as stack:
        _add_hostile_examples(root)
        reader = users_mod.Users(Workspace(root, user=USERS["admin"]).state_dir()).add(READER, by=USERS["admin"])
        server = stack.enter_context(serve(root, "--max-upload-mb", "1", tmpdir=tmp))
        with server.client("eng") as c:
            added = {
                "base": post_run(c, "base", run_file(7), model="m-base", params=["temperature=0", "seed=7"],
                                 map="output=answer"),
                "cand": post_run(c, "cand", run_file(5, hostile=True), filename="cand.jsonl", model=HOSTILE_MODEL,
                                 params=["temperature=0.7"], map=["output=answer"]),
            }
        yield RunServer(server=server, tmp=tmp, reader_token=reader, added=added)


# -- adding, and reading what the library reads ------------------------------------------------
def test_eng_adds_runs_and_the_api_answers_what_the_library_does(rs: RunServer) -> None:
    ds = dataset(rs.root)
    for name, r in rs.added.items():
        assert r.status_code == 201, r.text
        assert r.json() == as_json(find_run(ds, name)[0])
    base = rs.added["base"].json()
    assert (base["model"], base["params"], base["added_by"], base["source"]) == (
        "m-base", {"temperature": "0", "seed": "7"}, USERS["eng"], "outputs.jsonl")
    assert base["counted"] > 100 and 0 < base["passed"] < base["counted"]
    adds = [e for e in audit_lines(rs.root) if e["op"] == "run-add"]
    assert [(e["user"], e["allowed"]) for e in adds] == [(USERS["eng"], True)] * 2
    assert rs.no_upload_left()

    with rs.client("pm") as c:  # any role reads
        listed = c.get(f"{API}/runs")
        assert listed.status_code == 200 and listed.json() == as_json(list_runs(ds))
        assert [r["name"] for r in listed.json()] == ["base", "cand"]
        assert c.get(f"{API}/runs/cand").json() == as_json(find_run(ds, "cand")[0])
        for name in ("base", "cand"):
            report = c.get(f"{API}/runs/{name}/report")
            assert report.status_code == 200, report.text
            assert same_report(report.json(), as_json(run_report(ds, name)))
        compared = c.get(f"{API}/runs/compare", params={"a": "base", "b": "cand"})
        assert compared.status_code == 200, compared.text
        assert compared.json() == as_json(compare_runs(ds, "base", "cand"))
        assert compared.json()["paired"] > 100
        verdict = c.get(f"{API}/runs/base/launch")
        assert verdict.status_code == 200, verdict.text
        mine, theirs = verdict.json(), as_json(launch(ds, "base"))
        for key in ("passed", "validation_passed", "coverage_gate_passed", "run_verdict", "stale", "failures"):
            assert mine[key] == theirs[key], key
        assert same_report(mine["report"], theirs["report"])
        assert mine["check"]["coverage"]["gate"] == theirs["check"]["coverage"]["gate"]
        # Errors are the library's, through the one handler.
        error_of(c.get(f"{API}/runs/compare", params={"a": "base", "b": "base"}), 400, "UsageError")
        error_of(c.get(f"{API}/runs/compare", params={"a": "base"}), 400, "UsageError")  # b missing
        error_of(c.get(f"{API}/runs/compare", params={"a": "base", "b": "gone"}), 404, "UnknownId")
        error_of(c.get(f"{API}/runs/gone"), 404, "UnknownId")
        error_of(c.get(f"{API}/runs/gone/launch"), 404, "UnknownId")
        error_of(c.get("/api/v1/datasets/no-such-set/runs"), 404)


def test_research_adds_and_eng_removes_a_run(rs: RunServer) -> None:
    with rs.client("research") as research, rs.client("eng") as eng:
        made = post_run(research, "research-try", run_file(3), map="output=answer", partial="true", skip_unknown="false")
        assert made.status_code == 201, made.text
        assert made.json()["partial"] is True and made.json()["added_by"] == USERS["research"]
        assert "already exists" in error_of(post_run(research, "research-try", run_file(3), map="output=answer"), 400, "UsageError")
        gone = eng.delete(f"{API}/runs/research-try")
        assert gone.status_code == 200 and gone.json()["name"] == "research-try", gone.text
        error_of(eng.delete(f"{API}/runs/research-try"), 404, "UnknownId")
    assert "research-try" not in [i.name for i in list_runs(dataset(rs.root))]
    last = audit_lines(rs.root)[-1]
    assert (last["op"], last["user"]) == ("run-remove", USERS["eng"])


def test_a_browser_upload_needs_the_csrf_field(rs: RunServer) -> None:
    """A cookie session's form post: the CSRF token and the run's fields beside the file."""
    with httpx.Client(base_url=rs.server.url, timeout=60) as browser:
        assert browser.post("/login", data={"token": rs.server.tokens["eng"]}).status_code == 303
        assert SESSION_COOKIE in browser.cookies
        before = runs_state(rs.root)
        error_of(post_run(browser, "from-browser", run_file(4), map="output=answer"), 403, "CsrfFailed")
        assert runs_state(rs.root) == before
        page = browser.get(f"/d/{DS}/runs")
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        assert token, page.text[:300]
        r = post_run(browser, "from-browser", run_file(4), map="output=answer", csrf_token=token.group(1),
                     params=["a=1", "b=x=y"])
        assert r.status_code == 201, r.text
        assert r.json()["params"] == {"a": "1", "b": "x=y"} and r.json()["added_by"] == USERS["eng"]
    assert rs.no_upload_left()


# -- refusals: roles, limits, bad files, hostile names -----------------------------------------
@pytest.mark.parametrize("who", ["pm", READER])
def test_a_role_without_runs_is_403_audited_and_writes_nothing(rs: RunServer, who: str) -> None:
    email = USERS.get(who, who)
    role = who if who in USERS else None
    before, lines = runs_state(rs.root), audit_lines(rs.root)
    with rs.client(who) as c:
        message = error_of(post_run(c, "sneaky", run_file(7), map="output=answer"), 403, "PermissionDenied")
        assert email in message and "needs role" in message
        error_of(c.delete(f"{API}/runs/base"), 403, "PermissionDenied")
        assert c.get(f"{API}/runs/base/report").status_code == 200  # reading is anyone's
    new = audit_lines(rs.root)[len(lines):]
    assert [(e["user"], e["role"], e["allowed"], e["op"]) for e in new] == [(email, role, False, "runs")] * 2
    assert runs_state(rs.root) == before and rs.no_upload_left()


def _chunked_multipart(size: int) -> Iterator[bytes]:
    """A run upload sent in chunks (no Content-Length): the limit must hold while it streams."""
    yield b'--gsb\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig-streamed\r\n'
    yield b'--gsb\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\nContent-Type: application/octet-stream\r\n\r\n'
    line = b'{"id": "refund-001", "output": "' + b"x" * 1000 + b'"}\n'
    sent = 0
    while sent < size:
        yield line * 64
        sent += len(line) * 64
    yield b"\r\n--gsb--\r\n"


def test_an_upload_over_the_limit_is_413_and_leaves_nothing(rs: RunServer) -> None:
    big = b"".join(b'{"id": "refund-%03d", "output": "%s"}\n' % (i % 20, b"y" * 1000) for i in range(2100))
    assert len(big) > 2 * MB
    before, lines = runs_state(rs.root), audit_lines(rs.root)
    with rs.client("eng") as c:
        assert "--max-upload-mb" in error_of(post_run(c, "big", big), 413, "HTTPError")
        error_of(post_run(c, "big", big[:MB + 10_000]), 413, "HTTPError")  # within the framing allowance
        streamed = c.post(f"{API}/runs", content=_chunked_multipart(2 * MB),
                          headers={"content-type": "multipart/form-data; boundary=gsb"})
        assert streamed.request.headers["transfer-encoding"] == "chunked"
        error_of(streamed, 413, "HTTPError")
        assert c.get(f"{API}/runs").status_code == 200  # still healthy
    assert runs_state(rs.root) == before and audit_lines(rs.root) == lines
    assert rs.no_upload_left()
    assert rs.server.proc.poll() is None


def _one_line(message: str) -> str:
    assert "\n" not in message and len(message) < 600, message
    return message


def test_a_bad_run_file_or_request_is_refused_in_one_line_and_writes_nothing(rs: RunServer) -> None:
    before, lines = runs_state(rs.root), audit_lines(rs.root)
    unknown = run_file(7) + b'{"id": "no-such-example", "answer": "x"}\n'
    with rs.client("eng") as c:
        r = post_run(c, "bad-ids", unknown, map="output=answer")
        kind = r.json()["error"]["type"]
        # The library raises UnknownId (its HTTP status: 404) for a row naming no example.
        assert kind in ("UnknownId", "BadInput") and r.status_code == getattr(goldset.errors, kind).http_status, r.text
        assert "no-such-example" in _one_line(error_of(r, r.status_code)) and "skip-unknown" in r.text
        late = run_file(7).replace(b'"latency_ms": 100}', b'"latency_ms": "soon"}')
        assert "soon" in _one_line(error_of(post_run(c, "bad-latency", late, map="output=answer"), 400, "BadInput"))
        assert "no 'output'" in _one_line(error_of(post_run(c, "no-output", run_file(7)), 400, "BadInput"))
        _one_line(error_of(post_run(c, "not-json", b"this is not json\n"), 400, "BadInput"))
        _one_line(error_of(post_run(c, "no-suffix", run_file(7), filename="outputs", map="output=answer"), 400, "UsageError"))
        # The request itself.
        error_of(c.post(f"{API}/runs", files={"file": ("o.jsonl", run_file(7))}), 400, "UsageError")  # no name
        error_of(post_run(c, "x1", run_file(7), map="output"), 400, "UsageError")
        error_of(post_run(c, "x2", run_file(7), map=["output=answer", "output=other"]), 400, "UsageError")
        error_of(post_run(c, "x3", run_file(7), map="nonsense=answer"), 400, "UsageError")
        error_of(post_run(c, "x4", run_file(7), map="output=answer", partial="maybe"), 400, "UsageError")
        error_of(post_run(c, "x5", run_file(7), map="output=answer", on_duplicate="skip"), 400, "UsageError")
        error_of(c.post(f"{API}/runs", data={"name": "x6"}), 400, "UsageError")  # no file
        error_of(c.post(f"{API}/runs", json={"name": "x7"}), 400, "UsageError")
    assert runs_state(rs.root) == before and audit_lines(rs.root) == lines
    assert rs.no_upload_left()


def _raw(server: Server, method: str, path: str, token: str) -> tuple[int, dict[str, Any]]:
    """A request with exactly this path (no client-side normalization of '..' or escapes)."""
    u = urlsplit(server.url)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=60)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, json.loads(body or b"{}") if path.startswith("/api/") else {"html": body.decode()}
    finally:
        conn.close()


HOSTILE_RUN_NAMES = ["..", "%2E%2E", "..%2Fx", "..%2F..%2Fgoldset.yaml", ".x", "%2Fetc%2Fpasswd", "a%00b", "-x",
                     "..%5Cx", "x" * 150]


def test_hostile_run_names_are_400_or_404(rs: RunServer) -> None:
    token = rs.server.tokens["eng"]
    before, lines = runs_state(rs.root), audit_lines(rs.root)
    for name in HOSTILE_RUN_NAMES:
        for method, tail in (("GET", ""), ("GET", "/report"), ("GET", "/launch"), ("DELETE", "")):
            status, body = _raw(rs.server, method, f"{API}/runs/{name}{tail}", token)
            assert status in (400, 404), (name, tail, status, body)
            assert body["error"]["type"] in ("UsageError", "UnknownId", "HTTPError"), body
        status, _ = _raw(rs.server, "GET", f"/d/{DS}/runs/{name}", token)
        assert status in (400, 404), (name, status)
    for path in (f"{API}/runs/../../goldset.yaml", f"{API}/runs/../x/report", f"/d/{DS}/runs/../../x"):
        assert _raw(rs.server, "GET", path, token)[0] == 404, path
    with rs.client("eng") as c:
        for name in ("../x", "..", "a/b", ".hidden", "x" * 150):
            assert "invalid run name" in error_of(post_run(c, name, run_file(7), map="output=answer"), 400, "UsageError")
        error_of(c.get(f"{API}/runs/compare", params={"a": "../x", "b": "base"}), 400, "UsageError")
    assert runs_state(rs.root) == before and audit_lines(rs.root) == lines
    assert not (rs.root / "x.parquet").exists() and not (rs.root / "runs" / "x.parquet").exists()
    assert rs.no_upload_left()


# -- a stale run ---------------------------------------------------------------------------------
def test_a_stale_run_is_409_unless_allowed(server: Server) -> None:
    from goldset.curation import edit

    with server.client("eng") as c:
        assert post_run(c, "before-edit", run_file(7), map="output=answer", skip_unknown="true").status_code == 201
        assert c.get(f"{API}/runs/before-edit/launch").json()["stale"] is False
        with identity_env():
            edit(Workspace(server.root, user=USERS["research"]).dataset(DS), "refund-001", expected="changed label")
        message = error_of(c.get(f"{API}/runs/before-edit/launch"), 409, "StaleRun")
        assert "refund-001" in message
        accepted = c.get(f"{API}/runs/before-edit/launch", params={"allow_stale": "true"})
        assert accepted.status_code == 200, accepted.text
        body = accepted.json()
        assert (body["stale"], body["allowed_stale"], body["passed"]) == (True, True, False)
        report = c.get(f"{API}/runs/before-edit/report").json()
        # The edit sent the approved example back to draft: it no longer counts.
        assert (report["staleness"]["removed"], report["staleness"]["ids"]) == (1, ["refund-001"])


# -- the pages, in a browser ---------------------------------------------------------------------
def _pct1(x: float) -> str:
    return f"{x * 100:.1f}%"


def test_pm_reads_the_runs_and_a_run_with_hostile_text_inert(rs: RunServer, browser: Any) -> None:
    from test_service_web import WIDTH, _assert_inert, login

    ds = dataset(rs.root)
    cand = run_report(ds, "cand")
    verdict = launch(ds, "cand", allow_stale=True)
    s = login(browser, rs.server, "pm")
    page = s.page
    s.go(f"/d/{DS}")
    page.locator("header nav a", has_text="Runs").click()
    page.wait_for_url(f"{rs.server.url}/d/{DS}/runs")
    assert page.locator("header nav a[aria-current=page]").inner_text() == "Runs"
    row = page.locator("#runs tr[data-run=cand]")
    assert row.get_attribute("data-verdict") == cand.verdict
    assert _pct1(cand.overall.pass_rate or 0) in row.inner_text()
    assert f"({_pct1(cand.overall.ci_low or 0)}–{_pct1(cand.overall.ci_high or 0)})" in row.inner_text()
    model = page.get_by_text(HOSTILE_MODEL, exact=False).first
    assert model.is_visible()
    model.hover()
    _assert_inert(s)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    row.locator("a", has_text="cand").click()
    page.wait_for_url(f"{rs.server.url}/d/{DS}/runs/cand")
    launch_box = page.locator("#launch")
    assert launch_box.get_attribute("data-passed") == ("true" if verdict.passed else "false")
    assert ("ready to launch" if verdict.passed else "launch blocked") in launch_box.locator("h1").inner_text()
    assert page.locator("#launch-reasons li").all_inner_texts() == verdict.failures
    refund = next(sc for sc in cand.scenarios if sc.id == "refund_request")
    refund_row = page.locator('#scenarios tr[data-scenario="refund_request"]')
    assert refund_row.get_attribute("data-verdict") == refund.verdict
    assert refund_row.locator("td.ci").inner_text() == f"{_pct1(refund.ci_low or 0)}–{_pct1(refund.ci_high or 0)}"
    # Hostile text from the data: shown as text, never markup.
    hostile_row = page.locator("#scenarios tr[data-scenario]").filter(has_text=HOSTILE_SCENARIO)
    assert hostile_row.count() == 1
    hostile_row.hover()
    details = page.locator("details[data-scenario]").filter(has=page.locator("summary", has_text=HOSTILE_SCENARIO))
    details.locator("summary").click()
    failure = details.locator(f'tr[data-id="{HOSTILE_ID}"]')
    assert failure.locator(".output").inner_text() == HOSTILE_OUTPUT
    assert failure.locator(".expected").inner_text() == HOSTILE_EXPECTED
    failure.hover()
    page.get_by_text(HOSTILE_MODEL, exact=False).first.hover()
    _assert_inert(s)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    # The comparison page, and the self-contained report page under its own CSP.
    s.go(f"/d/{DS}/compare?a=base&b=cand")
    assert page.locator("#deltas tr[data-scenario]").count() == 1 + len(compare_runs(ds, "base", "cand").scenarios)
    _assert_inert(s)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    s.go(f"/d/{DS}/runs/cand")
    href = page.locator("#report-page").get_attribute("href")
    assert href == f"/d/{DS}/runs/cand/report.html"
    response = s.go(href)
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.evaluate("() => document.scripts.length") == 0
    assert page.locator("[onmouseover], [onerror], [onload]").count() == 0
    assert s.dialogs == [], s.dialogs
    assert s.errors == [], s.errors
