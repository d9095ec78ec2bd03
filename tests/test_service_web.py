"""The web app in a real browser: `goldset serve` in a child process over the demo workspace,
Chromium driven by Playwright. Each story checks the page, then the store, the spec and the
audit log through the library: what the browser showed is what happened.

One browser for the module; a server per test that writes (a start costs ~1.5 s), one shared
server for the read-only checks (hostile text, page widths, screenshots)."""

from __future__ import annotations

import json
import re
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from helpers.service import TOKENS_FILE, USERS, Server, serve
from helpers.workspace import copy_workspace, identity_env

sync_api = pytest.importorskip("playwright.sync_api")

DS = "support-bot"
WIDTH, HEIGHT = 1280, 800
#: Drafts nobody reviewed since they last changed: the queue's own rule.
WAITING = "reviewed_at IS NULL OR updated_at > reviewed_at"
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_ATTR = '" onmouseover="alert(2)'
HOSTILE_EXPECTED = "<img src=x onerror=alert(3)>"
HOSTILE_EDGE = "<img src=x onerror=alert(4)> sneaky"
HOSTILE_NOTE = "<script>alert(5)</script> note"
#: Scenario and edge-case ids may hold any printable character (the spec's rule for labels).
HOSTILE_SCENARIO = '<b onmouseover="alert(6)">gifts/odd</b>'
HOSTILE_EDGE_ID = '"><svg onload=alert(7)>'


@dataclass
class Session:
    """A logged-in browser tab, with every dialog and script error it saw."""

    page: Any
    url: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        response = self.page.goto(self.url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        return response

    def csrf(self) -> str:
        token = self.page.get_attribute('meta[name="csrf-token"]', "content")
        assert token
        return str(token)

    def post(self, path: str, fields: dict[str, str], csrf: str | None = None) -> int:
        """A POST from the page's own script (the session cookie goes with it), urlencoded."""
        status: int = self.page.evaluate(
            """async ([path, fields, csrf]) => {
                const headers = {"Content-Type": "application/x-www-form-urlencoded"};
                if (csrf !== null) headers["X-CSRF-Token"] = csrf;
                const r = await fetch(path, {method: "POST", headers, body: new URLSearchParams(fields)});
                return r.status;
            }""",
            [path, fields, csrf],
        )
        return status


def login(browser: Any, server: Server, role: str) -> Session:
    """Log in through the login form with the role's token."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    session = Session(page=page, url=server.url)

    def on_dialog(dialog: Any) -> None:
        session.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: session.errors.append(str(exc)))
    page.goto(server.url + "/login")
    page.fill('input[name="token"]', server.tokens[role])
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_url(server.url + "/")
    assert page.locator("header .who").inner_text().startswith(USERS[role])
    return session


def shot(session: Session, directory: Path, name: str) -> Path:
    """A full-page screenshot; asserts it is a real PNG of the page's width."""
    path = directory / f"{name}.png"
    session.page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", name
    width, height = struct.unpack(">II", data[16:24])
    assert width == WIDTH and height >= HEIGHT - 100, (name, width, height)
    assert _distinct_bytes(data) > 16, name  # a blank or one-colour image has a handful
    return path


def _distinct_bytes(png: bytes) -> int:
    """How many different byte values the decoded pixel rows hold."""
    import zlib

    idat, pos = b"", 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind = png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat)))


def ws_as(root: Path, role: str) -> Any:
    from goldset.workspace import Workspace

    return Workspace(root, user=USERS[role])


def last_audit(root: Path, **match: Any) -> Any:
    from goldset.access import audit

    ds = ws_as(root, "admin").dataset(DS)
    entries = [e for e in audit.read(ds.audit_path) if all(getattr(e, k) == v for k, v in match.items())]
    assert entries, f"no audit entry with {match}"
    return entries[-1]


def wait_for(page: Any, predicate: str, arg: Any = None) -> None:
    page.wait_for_function(predicate, arg=arg, timeout=15_000)


# -- a PM closes a gap --------------------------------------------------------------------------------

def test_pm_closes_a_coverage_gap_by_bulk_tagging_without_a_reload(served_ws: Path, browser: Any, tmp_path: Path) -> None:
    from goldset.coverage import compute_coverage
    from goldset.curation import ScenarioFields, add_scenario
    from goldset.query import Filters, list_examples

    # The team agreed on a new P1 scenario; the demo set holds gift-card examples under other scenarios.
    admin_ds = ws_as(served_ws, "admin").dataset(DS)
    add_scenario(admin_ds, "gift_cards", ScenarioFields(
        description="Gift cards: balance, paying with one, refunds to one", priority="P1", group="billing",
        min_examples=2))
    matches = list_examples(admin_ds, Filters(search="gift card"), columns=["id", "status"]).to_pylist()
    ids = sorted(r["id"] for r in matches)
    approved = [r["id"] for r in matches if r["status"] == "approved"]
    assert len(approved) >= 2 and len(ids) > len(approved)  # enough to close the gap; drafts too
    assert compute_coverage(admin_ds).scenario("gift_cards").verdict == "missing"

    with serve(served_ws) as server:
        s = login(browser, server, "pm")
        page = s.page
        page.click(f'a[href="/d/{DS}"]')
        row = page.locator('section.prio-group tr[data-scenario="gift_cards"]')
        assert row.get_attribute("data-verdict") == "missing"
        assert "Needs 2 more examples." in row.inner_text()
        assert page.locator('section[data-priority="P1"] tr[data-scenario="gift_cards"]').count() == 1
        shot(s, tmp_path, "dashboard")

        row.locator("a", has_text="gift_cards").click()
        page.wait_for_url(re.compile(r"/s/gift_cards$"))
        assert page.locator("#needs .needs").inner_text() == "Needs 2 more examples."
        shot(s, tmp_path, "scenario")

        page.fill('#find input[name="q"]', "gift card")
        page.click('#find button[type="submit"]')
        page.wait_for_url(re.compile(r"/examples\?"))
        assert page.locator("#results [data-total]").get_attribute("data-total") == str(len(ids))
        assert sorted(page.locator("#results tr[data-id]").evaluate_all("rs => rs.map(r => r.dataset.id)")) == ids
        assert page.locator('#bulk select[name="add_scenario"]').input_value() == "gift_cards"
        page.evaluate("window.__sameDocument = 'yes'")

        # Ticked by hand: one row.
        page.check(f'input[name="ids"][value="{ids[0]}"]')
        assert page.locator("#selected-count").inner_text() == "1"
        page.click('#bulk button[value="preview"]')
        wait_for(page, "() => document.querySelector('#tag-result [data-would-change]') !== null")
        assert page.locator("#tag-result [data-would-change]").get_attribute("data-would-change") == "1"

        # Every example the filter matches: a preview, then the change.
        page.check('#bulk input[name="target"][value="filter"]')
        page.click('#bulk button[value="preview"]')
        wait_for(page, "n => document.querySelector('#tag-result [data-would-change]')?.dataset.wouldChange === n",
                 str(len(ids)))
        assert compute_coverage(admin_ds).scenario("gift_cards").verdict == "missing"  # a preview writes nothing
        page.fill('#bulk input[name="note"]', "gift card sweep")
        page.click('#bulk button[value="apply"]')
        wait_for(page, "() => document.querySelector('#verdicts [data-scenario=\"gift_cards\"]')?.dataset.verdict === 'ok'")
        assert page.locator("#tag-result [data-changed]").get_attribute("data-changed") == str(len(ids))
        assert page.evaluate("window.__sameDocument") == "yes"  # no reload: the fragments replaced their elements
        assert page.locator('#results tr[data-id] .tag-scenario', has_text="gift_cards").count() == len(ids)
        shot(s, tmp_path, "tagged")

        page.click(f'header nav a[href="/d/{DS}"]')
        assert page.locator('tr[data-scenario="gift_cards"]').get_attribute("data-verdict") == "ok"
        s.go(f"/d/{DS}/examples/{ids[-1]}")
        latest = page.locator("table.history tbody tr").first.inner_text()
        assert "tag" in latest and USERS["pm"] in latest and "gift card sweep" in latest
        assert s.dialogs == [] and s.errors == []

    ds = ws_as(served_ws, "admin").dataset(DS)
    assert all("gift_cards" in ds.get(i)["scenarios"] for i in ids)
    assert compute_coverage(ds).scenario("gift_cards").verdict == "ok"
    entry = last_audit(served_ws, op="tag")
    assert (entry.user, entry.role, entry.allowed, entry.rows) == (USERS["pm"], "pm", True, len(ids))
    assert sorted(entry.ids) == ids
    assert entry.note is not None and "+scenario gift_cards" in entry.note and "gift card sweep" in entry.note
    assert "search 'gift card'" in entry.note


# -- a reviewer clears the queue with the keyboard -----------------------------------------------------

def test_reviewer_clears_the_review_queue_with_the_keyboard(server: Server, browser: Any, tmp_path: Path) -> None:
    from goldset.query import Filters, list_examples

    ds = ws_as(server.root, "admin").dataset(DS)
    queue = [str(i) for i in list_examples(ds, Filters(statuses=["draft"], where=WAITING), columns=["id"]).column("id").to_pylist()]
    assert 4 <= len(queue) <= 50  # one page

    s = login(browser, server, "pm")
    page = s.page
    s.go(f"/d/{DS}/review")
    assert page.locator("#distinct-rule").get_attribute("data-distinct") == "false"
    assert "may approve examples you created" in page.locator("#distinct-rule").inner_text()
    items = page.locator("[data-queue-item]")
    assert items.evaluate_all("els => els.map(e => e.dataset.id)") == queue

    def current() -> int:
        index: int = page.evaluate("() => [...document.querySelectorAll('[data-queue-item]')].findIndex(e => e.classList.contains('current'))")
        return index

    def press(key: str, done: int | None = None, action: str = "") -> None:
        page.keyboard.press(key)
        if done is not None:
            page.wait_for_selector(f'#q-{done + 1}[data-done="{action}"]', timeout=15_000)

    outcome: dict[str, str] = {}
    assert current() == 0
    press("a", 0, "approve")
    outcome[queue[0]] = "approve"
    assert current() == 1  # on to the next item
    press("j")
    assert current() == 2
    press("r", 2, "reject")
    outcome[queue[2]] = "reject"
    assert current() == 3
    press("k")
    assert current() == 1  # k skips the item already done
    shot(s, tmp_path, "review-queue")
    press("a", 1, "approve")
    outcome[queue[1]] = "approve"
    assert current() == 3
    for n in range(3, len(queue)):
        assert current() == n
        action = "approve" if n % 2 else "reject"
        press(action[0], n, action)
        outcome[queue[n]] = action
    assert page.locator("#queue-count").get_attribute("data-waiting") == "0"
    s.go(f"/d/{DS}/review")
    assert page.locator("#queue-empty").is_visible()
    assert s.dialogs == [] and s.errors == []

    ds = ws_as(server.root, "admin").dataset(DS)
    for example_id, action in outcome.items():
        row = ds.get(example_id)
        assert row["status"] == {"approve": "approved", "reject": "draft"}[action], example_id
        assert row["reviewed_by"] == USERS["pm"], example_id
    assert len(outcome) == len(queue)
    from goldset.access import audit

    mine = [e for e in audit.read(ds.audit_path) if e.user == USERS["pm"]]
    assert sorted((e.ids[0], e.op) for e in mine) == sorted(outcome.items())


# -- a researcher is offered what research may do, and refused the rest --------------------------------

def test_researcher_sees_no_review_scenario_or_taxonomy_controls_and_is_refused(server: Server, browser: Any) -> None:
    s = login(browser, server, "research")
    page = s.page
    s.go(f"/d/{DS}/review")
    assert page.locator("[data-queue-item]").count() > 0  # the queue is readable ...
    assert page.locator('button[value="approve"], button[value="reject"], button[value="retire"]').count() == 0
    assert "reviewing needs role pm or admin" in page.locator(".notice").inner_text()

    s.go(f"/d/{DS}/examples/account-019")
    assert page.locator("#input-text").is_visible()
    assert page.locator('button[value="approve"]').count() == 0

    s.go(f"/d/{DS}/examples")
    # Scenario tags and tiers are the PM's; edge cases and polarity are research's own (the role matrix).
    assert page.locator('select[name="add_scenario"], select[name="remove_scenario"], select[name="set_tier"]').count() == 0
    assert page.locator('#bulk select[name="add_edge_case"]').count() == 1

    s.go(f"/d/{DS}/taxonomy")
    assert page.locator("form.scenario-edit, form.scenario-remove, #add-scenario").count() == 0
    assert page.locator("#add-edge-case").count() == 1  # the edge-case catalogue: pm or research

    # The server refuses anyway, as the library does: 403, nothing written, the attempt audited.
    csrf = s.csrf()
    status = s.post(f"/d/{DS}/fragments/review", {"id": "account-019", "action": "approve", "view": "queue",
                                                  "slot": "q-1"}, csrf)
    assert status == 403
    denied = last_audit(server.root, op="review")  # a refusal is recorded under the action refused
    assert (denied.user, denied.role, denied.allowed, denied.ids) == (USERS["research"], "research", False, ["account-019"])
    status = s.post(f"/d/{DS}/fragments/tag", {"target": "selected", "ids": "refund-001", "add_scenario": "small_talk",
                                               "mode": "apply"}, csrf)
    assert status == 403
    denied = last_audit(server.root, op="tag_scenarios")
    assert (denied.user, denied.allowed, denied.ids) == (USERS["research"], False, ["refund-001"])
    ds = ws_as(server.root, "admin").dataset(DS)
    assert ds.get("account-019")["status"] == "draft"
    assert ds.get("refund-001")["scenarios"] == ["refund_request"]
    s.go(f"/d/{DS}/audit?denied=true")
    rows = page.locator("table.audit tbody tr[data-op]")
    assert rows.evaluate_all("rs => rs.map(r => [r.dataset.op, r.dataset.user, r.dataset.allowed])") == [
        ["tag_scenarios", USERS["research"], "false"], ["review", USERS["research"], "false"]]
    assert s.dialogs == [] and s.errors == []


# -- CSRF ---------------------------------------------------------------------------------------------

def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(server: Server, browser: Any) -> None:
    spec_before = (server.root / "goldset.yaml").read_bytes()
    ds = ws_as(server.root, "admin").dataset(DS)
    audit_before = ds.audit_path.read_bytes()
    manifest_before = ds.manifest().digest

    s = login(browser, server, "pm")
    page = s.page
    s.go(f"/d/{DS}/taxonomy")
    # A real form submission whose CSRF field is gone.
    page.evaluate("() => document.querySelector('#add-edge-case input[name=\"csrf_token\"]').remove()")
    page.fill('#add-edge-case input[name="id"]', "sarcasm")
    with page.expect_navigation() as nav:
        page.click('#add-edge-case button[type="submit"]')
    assert nav.value.status == 403
    assert "CSRF" in page.locator(".error").inner_text()

    s.go(f"/d/{DS}/examples")
    fields = {"target": "filter", "add_scenario": "small_talk", "mode": "apply"}
    assert s.post(f"/d/{DS}/fragments/tag", fields, None) == 403
    assert s.post(f"/d/{DS}/fragments/tag", fields, "not-the-token") == 403
    assert s.post(f"/d/{DS}/fragments/review", {"id": "account-019", "action": "approve"}, None) == 403
    # The same request with the token goes through: the refusals above were the token's.
    assert s.post(f"/d/{DS}/fragments/review", {"id": "account-019", "action": "approve"}, s.csrf()) == 200

    ds = ws_as(server.root, "admin").dataset(DS)
    assert (server.root / "goldset.yaml").read_bytes() == spec_before
    after = ds.audit_path.read_bytes()
    assert after.startswith(audit_before) and after.count(b"\n") == audit_before.count(b"\n") + 1
    assert ds.manifest().digest != manifest_before and ds.get("account-019")["status"] == "approved"


# -- the taxonomy editor ------------------------------------------------------------------------------

def test_pm_edits_the_taxonomy_and_the_yaml_keeps_its_comments(server: Server, browser: Any, tmp_path: Path) -> None:
    spec_path = server.root / "goldset.yaml"

    def comments() -> list[str]:
        return [line.strip() for line in spec_path.read_text(encoding="utf-8").splitlines() if line.strip().startswith("#")]

    before = comments()
    assert "# billing" in before and len(before) > 10

    s = login(browser, server, "pm")
    page = s.page
    s.go(f"/d/{DS}/taxonomy")
    page.fill('#add-edge-case input[name="id"]', "sarcasm")
    page.fill('#add-edge-case input[name="description"]', "Says the opposite of what it means")
    page.click('#add-edge-case button[type="submit"]')
    assert page.locator("#done").inner_text() == "Added edge case sarcasm."

    row = page.locator('tr[data-scenario="invoice_copy"]')
    row.locator("details.edit summary").click()
    form = row.locator("form.scenario-edit")
    form.locator('select[name="priority"]').select_option("P1")
    form.locator('input[name="min_negatives"]').fill("2")
    form.locator('input[name="required_edge_cases"][value="multilingual"]').check()
    form.locator('button[type="submit"]').click()
    assert page.locator("#done").inner_text() == "Saved scenario invoice_copy."
    assert page.locator('tr[data-scenario="invoice_copy"] td').nth(1).inner_text() == "P1"

    # A refused change says why, on the page, and leaves the file as it was.
    saved = spec_path.read_bytes()
    page.locator("#add-scenario-panel summary").click()
    page.fill('#add-scenario input[name="id"]', "refund_request")
    with page.expect_navigation() as nav:
        page.click('#add-scenario button[type="submit"]')
    assert nav.value.status == 400
    assert "already exists" in page.locator("#problem").inner_text()
    assert spec_path.read_bytes() == saved
    shot(s, tmp_path, "taxonomy")
    assert s.dialogs == [] and s.errors == []

    from goldset.spec import load_spec

    spec = load_spec(spec_path).datasets[DS]
    assert spec.edge_cases["sarcasm"] == "Says the opposite of what it means"
    sc = spec.scenarios["invoice_copy"]
    assert sc.priority == "P1" and sc.requirements is not None
    assert (sc.requirements.min_negatives, sc.requirements.required_edge_cases) == (2, ["multilingual"])
    assert sc.requirements.min_examples is None  # untouched fields are not written
    assert comments() == before
    edit = last_audit(server.root, op="scenario-edit")
    assert (edit.user, edit.role, edit.allowed, edit.ids) == (USERS["pm"], "pm", True, ["invoice_copy"])
    assert last_audit(server.root, op="edge-case-add").user == USERS["pm"]


# -- the distinct-reviewer rule, and a read-only server ------------------------------------------------

def test_distinct_reviewer_rule_is_shown_before_the_click_and_enforced(server: Server, browser: Any) -> None:
    from goldset.ingest import add

    spec_path = server.root / "goldset.yaml"
    text = spec_path.read_text(encoding="utf-8")
    gate = "    gate: {blocking_priorities: [P0]}\n"
    assert gate in text
    spec_path.write_text(text.replace(gate, gate + "    review: {require_distinct_reviewer: true}\n"), encoding="utf-8")
    add(ws_as(server.root, "admin").dataset(DS), [{"id": "own-1", "input": "Do you ship to Iceland?",
                                                    "scenarios": ["order_status"]}])

    s = login(browser, server, "admin")
    page = s.page
    s.go(f"/d/{DS}/review")
    assert page.locator("#distinct-rule").get_attribute("data-distinct") == "true"
    assert "nobody may approve an example they created" in page.locator("#distinct-rule").inner_text()
    own = page.locator('[data-queue-item][data-id="own-1"]')
    assert own.locator(".tag-flag").inner_text() == "yours"
    assert own.locator('button[value="approve"]').is_disabled()
    assert page.locator('[data-queue-item]:not([data-id="own-1"]) button[value="approve"]:disabled').count() == 0

    posts: list[str] = []
    page.on("request", lambda req: posts.append(req.url) if req.method == "POST" else None)
    own.locator(".qtags").click()  # clicking an item makes it the current one
    assert own.get_attribute("class") is not None and "current" in str(own.get_attribute("class"))
    page.keyboard.press("a")
    page.wait_for_timeout(300)
    assert posts == [] and own.get_attribute("data-done") is None  # no approval of one's own example
    page.keyboard.press("r")  # rejecting it is a review like any other
    page.wait_for_selector('[data-queue-item][data-id="own-1"][data-done="reject"]', timeout=15_000)
    assert len(posts) == 1

    assert s.post(f"/d/{DS}/fragments/review", {"id": "own-1", "action": "approve"}, s.csrf()) == 403
    denied = last_audit(server.root, op="approve", allowed=False)
    assert denied.user == USERS["admin"] and denied.ids == ["own-1"]
    assert denied.note is not None and "require_distinct_reviewer" in denied.note
    row = ws_as(server.root, "admin").dataset(DS).get("own-1")
    assert (row["status"], row["reviewed_by"]) == ("draft", USERS["admin"])
    assert s.dialogs == [] and s.errors == []


def test_a_read_only_server_offers_no_write_and_refuses_one(served_ws: Path, browser: Any) -> None:
    with serve(served_ws, "--read-only") as server:
        ds = ws_as(served_ws, "admin").dataset(DS)
        audit_before = ds.audit_path.read_bytes()
        s = login(browser, server, "pm")
        page = s.page
        assert "read-only server" in page.locator("header .who").inner_text()
        s.go(f"/d/{DS}/examples")
        assert page.locator("#bulk").count() == 0 and page.locator('input[name="ids"]').count() == 0
        s.go(f"/d/{DS}/review")
        assert page.locator("[data-queue-item]").count() > 0
        assert page.locator('button[name="action"]').count() == 0
        s.go(f"/d/{DS}/taxonomy")
        assert page.locator("form.scenario-edit, #add-scenario, #add-edge-case").count() == 0
        assert s.post(f"/d/{DS}/fragments/review", {"id": "account-019", "action": "approve"}, s.csrf()) == 409
        assert ds.audit_path.read_bytes() == audit_before
        assert ds.get("account-019")["status"] == "draft"
        assert s.dialogs == [] and s.errors == []


# -- hostile text, page widths, screenshots: one server holding hostile examples -----------------------

@pytest.fixture(scope="module")
def hostile_server(_served_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo workspace plus examples, an edge case and an audit note made of markup."""
    from goldset.curation import ScenarioFields, TagChange, add_edge_case, add_scenario, tag
    from goldset.ingest import add

    home = tmp_path_factory.mktemp("hostile")
    shutil.copy(_served_template.parent / TOKENS_FILE, home / TOKENS_FILE)
    root = copy_workspace(_served_template, home / "ws")
    with identity_env():
        ds = ws_as(root, "admin").dataset(DS)
        add_edge_case(ds, "hostile", HOSTILE_EDGE)
        add_edge_case(ds, HOSTILE_EDGE_ID, HOSTILE_EDGE)
        add_scenario(ds, HOSTILE_SCENARIO, ScenarioFields(description=HOSTILE_SCRIPT, priority="P2", min_examples=1))
        add(ds, [
            {"id": "xss-script", "input": HOSTILE_SCRIPT, "expected": HOSTILE_EXPECTED, "scenarios": ["small_talk"]},
            {"id": "xss/attr+1", "input": HOSTILE_ATTR, "expected": HOSTILE_ATTR, "scenarios": ["small_talk"],
             "metadata": json.dumps({"html": HOSTILE_SCRIPT})},
        ])
        tag(ds, TagChange(add_edge_cases=["hostile", HOSTILE_EDGE_ID], add_scenarios=[HOSTILE_SCENARIO]),
            ids=["xss-script"], note=HOSTILE_NOTE)
        with serve(root) as server:
            yield server


def _assert_inert(s: Session) -> None:
    page = s.page
    assert page.evaluate("() => document.scripts.length") == 1  # app.js, and nothing the data brought
    assert page.evaluate("() => [...document.scripts].every(x => x.src.endsWith('/static/app.js'))")
    for attr in ("onmouseover", "onerror", "onfocus"):
        assert page.locator(f"[{attr}]").count() == 0, attr
    assert page.locator("img").count() == 0


def test_hostile_text_renders_inert_as_text(hostile_server: Server, browser: Any) -> None:
    s = login(browser, hostile_server, "pm")
    page = s.page
    pages = {
        f"/d/{DS}/examples?q=alert": [HOSTILE_SCRIPT, HOSTILE_ATTR, HOSTILE_EXPECTED],
        f"/d/{DS}/examples/xss-script": [HOSTILE_SCRIPT, HOSTILE_EXPECTED],
        f"/d/{DS}/examples/xss%2Fattr%2B1": [HOSTILE_ATTR, HOSTILE_SCRIPT],
        f"/d/{DS}/review": [HOSTILE_SCRIPT, HOSTILE_ATTR],
        f"/d/{DS}/taxonomy": [HOSTILE_EDGE, HOSTILE_SCENARIO, HOSTILE_EDGE_ID],
        f"/d/{DS}/audit": [HOSTILE_NOTE],
        f"/d/{DS}/s/small_talk": [HOSTILE_SCRIPT, HOSTILE_ATTR],
        f"/d/{DS}": [HOSTILE_SCENARIO],
        f"/d/{DS}/examples?edge_case={quote(HOSTILE_EDGE_ID)}": [HOSTILE_SCENARIO, HOSTILE_EDGE_ID],
    }
    for path, texts in pages.items():
        s.go(path)
        for text in texts:
            shown = page.get_by_text(text, exact=False).filter(visible=True).first
            assert shown.is_visible(), (path, text)
            shown.hover()  # an onmouseover that had become an attribute would fire here
        _assert_inert(s)
        page.mouse.move(5, 5)
        page.wait_for_timeout(50)
    # A scenario id with markup and a slash: its link is quoted whole, its page shows it as text.
    s.go(f"/d/{DS}")
    link = page.locator("section.prio-group tr[data-scenario] a", has_text=HOSTILE_SCENARIO)
    assert link.get_attribute("href") == f"/d/{DS}/s/{quote(HOSTILE_SCENARIO, safe='')}"
    link.click()
    assert page.locator("h1").inner_text().startswith(HOSTILE_SCENARIO)
    assert page.locator("p.lead").inner_text() == HOSTILE_SCRIPT
    _assert_inert(s)
    s.go(f"/d/{DS}/examples/xss%2Fattr%2B1")
    assert page.locator("h1 code").inner_text() == "xss/attr+1"
    assert page.locator("#input-text").inner_text() == HOSTILE_ATTR
    s.go(f"/d/{DS}/examples/xss-script")
    assert page.locator("#input-text").inner_text() == HOSTILE_SCRIPT
    assert s.dialogs == [], s.dialogs
    assert s.errors == [], s.errors


def test_every_page_fits_1280_wide_and_is_screenshotted(hostile_server: Server, browser: Any, tmp_path: Path) -> None:
    s = login(browser, hostile_server, "pm")
    page = s.page
    paths = {
        "datasets": "/",
        "dashboard": f"/d/{DS}",
        "scenario": f"/d/{DS}/s/account_access",
        "examples": f"/d/{DS}/examples",
        "examples-search": f"/d/{DS}/examples?q=refund&status=approved",
        "example": f"/d/{DS}/examples/oos-013",  # the longest input of the demo set
        "review": f"/d/{DS}/review",
        "taxonomy": f"/d/{DS}/taxonomy",
        "versions": f"/d/{DS}/versions",
        "diff": f"/d/{DS}/diff?a=v1&b=working",
        "audit": f"/d/{DS}/audit",
    }
    for name, path in paths.items():
        s.go(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH, (name, width)
        shot(s, tmp_path, name)

    # Keyset pages: "next page" continues after the last row; "first page" goes back.
    s.go(f"/d/{DS}/examples?status=approved")
    first = page.locator("#results tr[data-id]").evaluate_all("rs => rs.map(r => r.dataset.id)")
    page.click("#results a.next")
    second = page.locator("#results tr[data-id]").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert len(first) == 50 and second and not set(first) & set(second)
    assert "status=approved" in page.url and "after=" in page.url
    assert all(st == "approved" for st in page.locator("#results .st").all_inner_texts())
    page.locator("#results a", has_text="first page").click()
    assert page.locator("#results tr[data-id]").evaluate_all("rs => rs.map(r => r.dataset.id)") == first

    # The diff shows what was added since v1; the traffic view appears when traffic is given.
    s.go(f"/d/{DS}/diff?a=v1&b=working")
    assert page.locator("#diff-summary").get_attribute("data-added") == "2"
    s.go(f"/d/{DS}")
    assert page.locator("#traffic").count() == 0
    page.locator("details.panel summary", has_text="production traffic").click()
    page.fill('textarea[name="traffic"]', "scenario,count\nrefund_request,5200\naccount_access,3100\nloyalty_points,900\n")
    page.click('form[action$="/traffic"] button[type="submit"]')
    traffic = page.locator("#traffic")
    assert traffic.is_visible()
    # account_access (gap) and loyalty_points (missing) carry 4000 of 9200: 57% meets its bar.
    assert "57%" in traffic.inner_text() and "loyalty_points" in traffic.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot(s, tmp_path, "dashboard-traffic")
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(f"{n}.png" for n in [*paths, "dashboard-traffic"])

    # The login page too (logged out).
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    anon = Session(page=context.new_page(), url=hostile_server.url)
    anon.page.goto(hostile_server.url + "/login")
    assert anon.page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot(anon, tmp_path, "login")
    context.close()
    assert s.dialogs == [] and s.errors == []
