"""The JSON API under /api/v1, over HTTP against a real `goldset serve` (helpers.service) on
the demo golden set: every endpoint answers, and what it says agrees with the library.

Servers are shared within this module: one that only reads, one whose tests each write
their own ids and taxa (so no test depends on another's writes), and a --read-only one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from goldset.coverage import compute_coverage
from goldset.curation import list_edge_cases, list_scenarios
from goldset.query import Filters, list_examples, show, stats
from goldset.service import create_app, route_table
from goldset.workspace import Dataset, Workspace

from helpers.service import TOKENS_FILE, USERS, Server, serve
from helpers.workspace import copy_workspace, identity_env

DS = "support-bot"
API = f"/api/v1/datasets/{DS}"
#: GOLDSET_USER of the tests and of every server process they start (and the user who built
#: the demo workspace): the audit line of an API write names the caller, never this one.
TESTER = "tester@example.com"
_JSON = TypeAdapter(Any)


def copy_served(template: Path, parent: Path) -> Path:
    """A private copy of the served demo workspace, its tokens file beside it."""
    parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template.parent / TOKENS_FILE, parent / TOKENS_FILE)
    return copy_workspace(template, parent / "ws")


def dataset(root: Path) -> Dataset:
    return Workspace.open(root).dataset(DS)


def as_json(value: Any) -> Any:
    """A library value as the API serializes it (datetimes as ISO text, ...)."""
    return _JSON.dump_python(value, mode="json")


def fingerprint(root: Path) -> dict[str, str]:
    """SHA-256 of every file a write could change: the store, the spec, the suites."""
    out = {"goldset.yaml": hashlib.sha256((root / "goldset.yaml").read_bytes()).hexdigest()}
    for base in (root / "datasets", root / "expectations"):
        for p in sorted(base.rglob("*")):
            if p.is_file() and not p.name.endswith(".audit.jsonl") and p.name != ".goldset.lock":
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def audit_lines(root: Path) -> list[dict[str, Any]]:
    path = root / "datasets" / f"{DS}.audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def walk(client: httpx.Client, params: dict[str, Any] | list[tuple[str, Any]], limit: int = 500) -> tuple[list[str], int]:
    """Every id the listing gives, page by page; and the total the pages report."""
    ids: list[str] = []
    totals: set[int] = set()
    after: str | None = None
    for _ in range(1000):
        page_params = [*(params.items() if isinstance(params, dict) else params), ("limit", limit)]
        if after:
            page_params.append(("after", after))
        r = client.get(f"{API}/examples", params=page_params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["rows"]) <= limit
        ids += [row["id"] for row in body["rows"]]
        totals.add(body["total"])
        after = body["next"]
        if after is None:
            break
    assert len(totals) == 1, totals
    return ids, totals.pop()


def error_of(r: httpx.Response, status: int, kind: str | None = None) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert set(err) >= {"type", "message", "problems"}
    if kind:
        assert err["type"] == kind, err
    return str(err["message"])


# -- servers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reader(_served_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose tests only read."""
    root = copy_served(_served_template, tmp_path_factory.mktemp("api-read"))
    with identity_env(), serve(root) as server:
        yield server


@pytest.fixture(scope="module")
def writer(_served_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server for the write tests: each writes its own ids and taxa."""
    root = copy_served(_served_template, tmp_path_factory.mktemp("api-write"))
    with identity_env(), serve(root) as server:
        yield server


# -- reads -----------------------------------------------------------------------------------
def test_datasets_me_and_stats(reader: Server) -> None:
    with reader.client("pm") as c:
        assert c.get("/api/v1/datasets").json() == [
            {"name": DS, "description": "Golden set for the Northwind Store support assistant", "rows": 179}]
        assert c.get("/api/v1/me").json() == {"email": USERS["pm"], "roles": {DS: "pm"}}
        r = c.get(API)
    assert r.status_code == 200
    assert r.json() == stats(dataset(reader.root)).model_dump(mode="json")
    assert r.json()["rows"] == 179


def test_pagination_walks_every_row_exactly_once(reader: Server) -> None:
    expected = list_examples(dataset(reader.root), Filters()).column("id").to_pylist()
    assert len(expected) == 179
    with reader.client("research") as c:
        for limit in (7, 50, 179, 500):
            ids, total = walk(c, {}, limit=limit)
            assert total == 179
            assert ids == expected  # every row once, in the listing's order
        first = c.get(f"{API}/examples").json()
        assert len(first["rows"]) == 50 and first["next"]  # the default page
        assert c.get(f"{API}/examples", params={"limit": 179}).json()["next"] is None
        error_of(c.get(f"{API}/examples", params={"limit": 501}), 400, "UsageError")
        error_of(c.get(f"{API}/examples", params={"limit": 0}), 400, "UsageError")
        error_of(c.get(f"{API}/examples", params={"after": "not-a-cursor"}), 400, "BadInput")


FILTERS: list[tuple[list[tuple[str, str]], Filters]] = [
    ([("scenario", "refund_request")], Filters(scenarios=["refund_request"])),
    ([("scenario", "refund_request"), ("scenario", "small_talk")], Filters(scenarios=["refund_request", "small_talk"])),
    ([("edge_case", "typo"), ("edge_case", "multilingual")], Filters(edge_cases=["typo", "multilingual"])),
    ([("tier", "blocking"), ("tier", "monitor")], Filters(tiers=["blocking", "monitor"])),
    ([("status", "draft"), ("status", "retired")], Filters(statuses=["draft", "retired"])),
    ([("polarity", "negative")], Filters(polarity="negative")),
    ([("q", "refund ORDER")], Filters(search="refund ORDER")),
    ([("q", "100%")], Filters(search="100%")),
    ([("where", "len(input) > 120 AND source = 'production'")], Filters(where="len(input) > 120 AND source = 'production'")),
    ([("scenario", "order_status"), ("polarity", "positive"), ("status", "approved"), ("q", "parcel"),
      ("where", "tier <> 'monitor'")],
     Filters(scenarios=["order_status"], polarity="positive", statuses=["approved"], search="parcel", where="tier <> 'monitor'")),
]


@pytest.mark.parametrize(("params", "filters"), FILTERS, ids=[str(i) for i in range(len(FILTERS))])
def test_filters_and_search_agree_with_the_library(reader: Server, params: list[tuple[str, str]], filters: Filters) -> None:
    expected = list_examples(dataset(reader.root), filters).column("id").to_pylist()
    with reader.client("eng") as c:
        ids, total = walk(c, params, limit=20)
    assert ids == expected
    assert total == len(expected)
    assert 0 < len(ids) < 179 or params == [("q", "100%")]  # each filter filters something


def test_bad_filters_are_refused(reader: Server) -> None:
    with reader.client("pm") as c:
        msg = error_of(c.get(f"{API}/examples", params={"scenario": "no_such"}), 400, "BadInput")
        assert "no_such" in msg
        error_of(c.get(f"{API}/examples", params={"status": "published"}), 400, "UsageError")
        error_of(c.get(f"{API}/examples", params={"polarity": "neutral"}), 400, "UsageError")
        error_of(c.get(f"{API}/examples", params={"where": "input ILIKE '%a%'; DROP TABLE examples"}), 400, "BadInput")
        error_of(c.get(f"{API}/examples", params={"where": ""}), 400, "BadInput")


def test_one_example_with_its_history(reader: Server) -> None:
    ds = dataset(reader.root)
    with reader.client("research") as c:
        r = c.get(f"{API}/examples/refund-001")
        assert r.status_code == 200
        body = r.json()
        assert body["example"] == as_json(show(ds, "refund-001"))
        assert [(h["op"], h["user"], h["matched"]) for h in body["history"]] == [("import", TESTER, "id")]
        msg = error_of(c.get(f"{API}/examples/no-such-id"), 404, "UnknownId")
        assert "no-such-id" in msg
        error_of(c.get(f"{API}/examples/a/b/c"), 404, "UnknownId")  # ids may hold '/': still just an id


def test_scenarios_and_edge_cases(reader: Server) -> None:
    ds = dataset(reader.root)
    with reader.client("pm") as c:
        assert c.get(f"{API}/scenarios").json() == list_scenarios(ds)
        assert c.get(f"{API}/edge-cases").json() == list_edge_cases(ds)
        one = c.get(f"{API}/scenarios/account_access").json()
        cov = compute_coverage(ds).scenario("account_access")
        assert one["scenario"]["id"] == "account_access" and one["scenario"]["priority"] == "P0"
        assert one["scenario"]["examples"] == stats(ds).by_scenario["account_access"]["total"]
        assert (one["coverage"]["verdict"], one["coverage"]["reasons"]) == (cov.verdict, cov.reasons)
        assert "no_such" in error_of(c.get(f"{API}/scenarios/no_such"), 400, "BadInput")


def test_coverage_validation_versions_diff_audit(reader: Server) -> None:
    ds = dataset(reader.root)
    with reader.client("eng") as c:
        cov = c.get(f"{API}/coverage").json()
        lib = compute_coverage(ds)
        assert cov["gate"] == lib.gate.model_dump(mode="json")
        assert [(s["id"], s["verdict"]) for s in cov["scenarios"]] == [(s.id, s.verdict) for s in lib.scenarios]
        p2 = c.get(f"{API}/coverage", params=[("fail_on", "P2")]).json()
        assert p2["gate"]["failing"] == compute_coverage(ds, fail_on=["P2"]).gate.failing == ["loyalty_points"]
        both = c.get(f"{API}/coverage", params=[("fail_on", "P0"), ("fail_on", "P2")]).json()
        assert both["gate"]["failing"] == ["account_access", "loyalty_points"]
        error_of(c.get(f"{API}/coverage", params={"fail_on": "P9"}), 400, "UsageError")

        val = c.get(f"{API}/validation", timeout=120).json()
        assert val["rows"] == 179 and val["results"]
        assert val["success"] == (val["errors_failed"] == 0)

        versions = c.get(f"{API}/versions").json()["versions"]
        assert versions[0]["tags"] == ["v1"] and versions[0]["rows"] == 179
        assert c.get(f"{API}/versions", params={"limit": 1}).json()["versions"] == versions[:1]

        same = c.get(f"{API}/diff", params={"a": "v1"}).json()
        assert (same["before"].split()[0], same["after"]) == ("v1", "working store")
        assert (same["added"], same["removed"], same["changed"], same["unchanged"]) == (0, 0, 0, 179)
        init = c.get(f"{API}/diff", params={"a": "v1~1", "b": "v1", "coverage": "false"}).json()
        assert (init["rows_before"], init["rows_after"], init["added"]) == (0, 179, 179)
        assert "nope" in error_of(c.get(f"{API}/diff", params={"a": "nope"}), 400, "BadInput")
        error_of(c.get(f"{API}/diff", params={"a": "--output=/tmp/x"}), 400, "BadInput")

        log = c.get(f"{API}/audit").json()
        ops = [e["op"] for e in log["entries"]]
        assert ops[0] == "import" and ops.count("user-add") == 4 and log["problems"] == []
        mine = c.get(f"{API}/audit", params={"user": USERS["admin"], "op": "user"}).json()["entries"]
        assert len(mine) == 4 and {e["user"] for e in mine} == {USERS["admin"]}
        assert c.get(f"{API}/audit", params={"limit": 1}).json()["entries"] == log["entries"][-1:]
        assert c.get(f"{API}/audit", params={"denied": "true"}).json()["entries"] == []
        assert c.get(f"{API}/audit", params={"since": "2999-01-01"}).json()["entries"] == []
        error_of(c.get(f"{API}/audit", params={"since": "yesterday"}), 400, "BadInput")


def test_openapi_schema_lists_every_api_route(reader: Server) -> None:
    served = {(path.replace(":path", ""), m) for path, methods in route_table(create_app(reader.root))
              for m in methods if path.startswith("/api/v1/") and path != "/api/v1/openapi.json" and m != "HEAD"}
    assert len(served) >= 23
    with reader.client("pm") as c:
        schema = c.get("/api/v1/openapi.json").json()
    listed = {(path, m.upper()) for path, ops in schema["paths"].items() for m in ops}
    assert listed == served
    components = schema["components"]["schemas"]
    assert {"TagRequest", "ReviewRequest", "AddRequest", "EditRequest", "ExamplePage", "TagResult",
            "CoverageReport", "DiffReport"} <= set(components)
    upload = schema["paths"][f"{API.replace(DS, '{dataset}')}/import"]["post"]["requestBody"]
    assert "multipart/form-data" in upload["content"]


# -- writes ----------------------------------------------------------------------------------
def test_tag_lands_in_the_store_as_the_authenticated_user(writer: Server, run_cli: Any) -> None:
    ds = dataset(writer.root)
    where = "input ILIKE '%order%'"
    matching = set(list_examples(ds, Filters(where=where)).column("id").to_pylist())
    untagged = set(list_examples(ds, Filters(where=where + " AND NOT list_contains(scenarios, 'order_status')")).column("id").to_pylist())
    assert len(untagged) > 0 and matching - untagged  # some already carry it: they are not counted
    before = fingerprint(writer.root)
    body = {"where": where, "add_scenarios": ["order_status"], "note": "api test"}
    with writer.client("pm") as c:
        dry = c.post(f"{API}/tag", json={**body, "dry_run": True}).json()
        assert fingerprint(writer.root) == before  # a dry run writes nothing
        assert (dry["dry_run"], dry["updated"], dry["matched"]) == (True, len(untagged), len(matching))
        assert {row["id"] for row in dry["sample"]} <= untagged
        real = c.post(f"{API}/tag", json=body)
    assert real.status_code == 200, real.text
    assert (real.json()["updated"], real.json()["matched"]) == (dry["updated"], dry["matched"])
    ds = dataset(writer.root)
    assert all("order_status" in ds.get(i)["scenarios"] for i in matching)
    some = sorted(untagged)[0]
    shown = run_cli("-C", str(writer.root), "show", some, "-f", "json")
    assert shown.exit_code == 0 and "order_status" in json.loads(shown.stdout)["scenarios"]
    last = audit_lines(writer.root)[-1]
    assert (last["op"], last["user"], last["role"], last["allowed"]) == ("tag", USERS["pm"], "pm", True)
    assert last["user"] != TESTER and last["predicate"] == where and "api test" in last["note"]
    assert set(last["ids"]) == untagged
    with writer.client("pm") as c:
        again = c.post(f"{API}/tag", json=body).json()  # idempotent: nothing left to change
        history = c.get(f"{API}/examples/{some}").json()["history"]
    assert (again["updated"], again["unchanged"]) == (0, len(matching))
    assert [h["op"] for h in history][-1] == "tag" and history[-1]["user"] == USERS["pm"]


def test_review_dry_run_and_round_trip(writer: Server) -> None:
    ds = dataset(writer.root)
    drafts = list_examples(ds, Filters(statuses=["draft"], scenarios=["cancel_order"])).column("id").to_pylist()
    assert len(drafts) >= 2
    ids = [*drafts, "cancel-001"]  # cancel-001 is approved already: re-approval refreshes its review
    with writer.client("pm") as c:
        dry = c.post(f"{API}/review", json={"action": "approve", "ids": ids, "dry_run": True}).json()
        assert [dataset(writer.root).get(i)["status"] for i in drafts] == ["draft"] * len(drafts)
        done = c.post(f"{API}/review", json={"action": "approve", "ids": ids, "note": "batch"}).json()
        assert done["updated"] == dry["updated"] == len(ids)
        ds = dataset(writer.root)
        assert {ds.get(i)["status"] for i in ids} == {"approved"}
        assert {ds.get(i)["reviewed_by"] for i in ids} == {USERS["pm"]}
        back = c.post(f"{API}/review", json={"action": "reject", "ids": drafts[:1]}).json()
        assert back["updated"] == 1 and dataset(writer.root).get(drafts[0])["status"] == "draft"
        error_of(c.post(f"{API}/review", json={"action": "publish", "ids": ids}), 400, "UsageError")
        error_of(c.post(f"{API}/review", json={"action": "approve"}), 400, "UsageError")  # no ids, no where
        error_of(c.post(f"{API}/review", json={"action": "approve", "ids": ["nope-1"]}), 404, "UnknownId")
    assert (audit_lines(writer.root)[-1]["op"], audit_lines(writer.root)[-1]["user"]) == ("reject", USERS["pm"])


def test_add_and_edit_round_trip(writer: Server) -> None:
    new = [
        {"id": "api-add-1", "input": "Can I pay with two gift cards at once?", "expected": "explain_gift_card_stacking",
         "scenarios": ["payment_failed"], "metadata": {"ticket": "T-1", "n": 12345678901234567890}, "channel": "chat"},
        {"id": "api-add-2", "input": "Donnez-moi un remboursement", "edge_cases": ["multilingual"], "polarity": "negative"},
    ]
    with writer.client("research") as c:
        r = c.post(f"{API}/examples", json={"examples": new})
        assert r.status_code == 200, r.text
        assert (r.json()["added"], r.json()["ids_sample"]) == (2, ["api-add-1", "api-add-2"])
        one = c.get(f"{API}/examples/api-add-1").json()["example"]
        assert (one["expected"], one["status"], one["created_by"]) == ("explain_gift_card_stacking", "draft", USERS["research"])
        assert json.loads(one["metadata"]) == {"channel": "chat", "n": 12345678901234567890, "ticket": "T-1"}
        assert dataset(writer.root).get("api-add-2")["polarity"] == "negative"
        dup = {"examples": [{**new[0], "expected": "something else"}]}
        assert "api-add-1" in error_of(c.post(f"{API}/examples", json=dup), 409, "DuplicateIds")
        skipped = c.post(f"{API}/examples", json={**dup, "on_duplicate": "skip"}).json()
        assert (skipped["added"], skipped["skipped"]) == (0, 1)
        error_of(c.post(f"{API}/examples", json={"examples": []}), 400, "UsageError")
        error_of(c.post(f"{API}/examples", json={"examples": [{"input": "x", "scenarios": ["no_such"]}]}), 400, "BadInput")
        error_of(c.post(f"{API}/examples", content=b'{"examples": [', headers={"content-type": "application/json"}), 400)

        # An approved example whose expected changes goes back to draft.
        assert dataset(writer.root).get("refund-004")["status"] == "approved"
        patch = {"expected": "start_refund_flow_size_exchange", "metadata": {"fixed": True}, "note": "label"}
        e = c.patch(f"{API}/examples/refund-004", json=patch)
        assert e.status_code == 200 and e.json()["updated"] == 1, e.text
        row = dataset(writer.root).get("refund-004")
        assert (row["expected"], json.loads(row["metadata"]), row["status"], row["updated_by"]) == (
            "start_refund_flow_size_exchange", {"fixed": True}, "draft", USERS["research"])
        error_of(c.patch(f"{API}/examples/refund-004", json={}), 400, "UsageError")
        error_of(c.patch(f"{API}/examples/refund-004", json={"input": "  "}), 400, "BadInput")
        error_of(c.patch(f"{API}/examples/refund-004", json={"tier": "blocking"}), 400, "UsageError")
        error_of(c.patch(f"{API}/examples/no-such", json={"expected": "x"}), 404, "UnknownId")


def _upload(client: httpx.Client, name: str, data: bytes, **params: str) -> httpx.Response:
    return client.post(f"{API}/import", params=params, files={"file": (name, data, "application/octet-stream")})


def test_import_of_a_small_file(writer: Server) -> None:
    jsonl = b"".join(json.dumps(r).encode() + b"\n" for r in [
        {"id": "api-imp-1", "input": "Where do I find my invoice?", "scenarios": ["invoice_copy"]},
        {"id": "api-imp-2", "input": "Need a VAT receipt for NW-1", "scenarios": ["invoice_copy"], "tier": "monitor"},
        {"id": "api-imp-3", "input": "Bonjour", "scenarios": ["small_talk"], "edge_cases": ["multilingual"]},
    ])
    before = fingerprint(writer.root)
    with writer.client("research") as c:
        plan = _upload(c, "batch.jsonl", jsonl, dry_run="true")
        assert plan.status_code == 200, plan.text
        assert (plan.json()["dry_run"], plan.json()["added"], plan.json()["rows"]) == (True, 3, 3)
        assert fingerprint(writer.root) == before
        done = _upload(c, "batch.jsonl", jsonl)
        assert done.status_code == 200, done.text
        assert done.json()["added"] == 3
        again = _upload(c, "batch.jsonl", jsonl, on_duplicate="skip").json()
        assert (again["added"], again["unchanged"] + again["skipped"]) == (0, 3)
        csv = _upload(c, "more.csv", b"id,input,expected\napi-imp-4,Is there a student discount?,explain_no_student_discount\n")
        assert csv.status_code == 200 and csv.json()["added"] == 1, csv.text
        named = _upload(c, "export", b"id,input\napi-imp-5,Can I change my delivery address?\n", format="csv")
        assert named.status_code == 200 and named.json()["added"] == 1, named.text
        error_of(_upload(c, "export", b"id,input\napi-imp-6,Hello\n"), 400)  # no suffix, no format
        error_of(_upload(c, "x.txt", b"hello"), 400)
        error_of(_upload(c, "bad.jsonl", b'{"id": "api-imp-9"}\n'), 400, "BadInput")  # no input
        error_of(_upload(c, "batch.jsonl", jsonl, on_duplicate="merge"), 400, "UsageError")
        error_of(c.post(f"{API}/import", json={"file": "batch.jsonl"}), 400, "UsageError")
        error_of(c.post(f"{API}/import", files={"upload": ("a.jsonl", jsonl)}), 400, "UsageError")
    ds = dataset(writer.root)
    assert ds.get("api-imp-2")["tier"] == "monitor" and ds.get("api-imp-4")["expected"] == "explain_no_student_discount"
    assert ds.get("api-imp-1")["created_by"] == USERS["research"]
    imports = [e for e in audit_lines(writer.root) if e["op"] == "import" and e["user"] == USERS["research"]]
    assert any(e["note"].startswith("from batch.jsonl") for e in imports)


def test_taxonomy_round_trip(writer: Server) -> None:
    with writer.client("pm") as pm, writer.client("research") as research:
        made = pm.post(f"{API}/scenarios", json={"id": "gift_cards", "priority": "P2", "group": "billing",
                                                 "min_examples": 4, "description": "Gift card balance and use"})
        assert made.status_code == 201, made.text
        assert Workspace.open(writer.root).spec.datasets[DS].scenarios["gift_cards"].priority == "P2"
        assert "already exists" in error_of(pm.post(f"{API}/scenarios", json={"id": "gift_cards", "priority": "P1"}), 400, "BadInput")
        error_of(pm.post(f"{API}/scenarios", json={"id": "no_priority"}), 400, "UsageError")
        changed = pm.patch(f"{API}/scenarios/gift_cards", json={"priority": "P1", "min_negatives": 1})
        assert changed.status_code == 200 and changed.json()["detail"] == {"priority": "P1", "min_negatives": 1}
        shown = pm.get(f"{API}/scenarios/gift_cards").json()
        assert (shown["scenario"]["priority"], shown["scenario"]["requirements"]["min_examples"]) == ("P1", 4)
        assert shown["coverage"]["verdict"] == "missing"
        assert "gift_cards" in [s["id"] for s in pm.get(f"{API}/scenarios").json()]
        error_of(pm.patch(f"{API}/scenarios/gift_cards", json={}), 400, "UsageError")
        gone = pm.delete(f"{API}/scenarios/gift_cards")
        assert gone.status_code == 200 and gone.json()["op"] == "scenario-remove"
        assert "gift_cards" not in Workspace.open(writer.root).spec.datasets[DS].scenarios
        error_of(pm.get(f"{API}/scenarios/gift_cards"), 400, "BadInput")

        assert research.post(f"{API}/edge-cases", json={"id": "sarcasm", "description": "Says the opposite"}).status_code == 201
        assert {"id": "sarcasm", "examples": 0, "description": "Says the opposite"} in pm.get(f"{API}/edge-cases").json()
        tagged = research.post(f"{API}/tag", json={"ids": ["smalltalk-001"], "add_edge_cases": ["sarcasm"]}).json()
        assert tagged["updated"] == 1
        assert "still carry" in error_of(pm.delete(f"{API}/edge-cases/sarcasm"), 400, "BadInput")
        removed = pm.delete(f"{API}/edge-cases/sarcasm", params={"untag": "true", "note": "not a thing"})
        assert removed.status_code == 200 and removed.json()["untagged"] == 1
        assert "sarcasm" not in dataset(writer.root).get("smalltalk-001")["edge_cases"]
        assert "sarcasm" not in Workspace.open(writer.root).spec.datasets[DS].edge_cases
    ops = [(e["op"], e["user"]) for e in audit_lines(writer.root)[-8:]]
    assert ("scenario-add", USERS["pm"]) in ops and ("edge-case-add", USERS["research"]) in ops
    assert ("edge-case-remove", USERS["pm"]) in ops


def test_diff_and_audit_see_the_writes(writer: Server) -> None:
    with writer.client("research") as c:
        r = c.post(f"{API}/examples", json={"examples": [{"id": "api-diff-1", "input": "Do you ship to Norway?"}]})
        assert r.status_code == 200, r.text
        d = c.get(f"{API}/diff", params={"a": "v1", "coverage": "false"}).json()
        assert "api-diff-1" in d["added_ids"] and d["rows_after"] == d["rows_before"] + d["added"] - d["removed"]
        mine = c.get(f"{API}/audit", params={"user": USERS["research"], "op": "add"}).json()["entries"]
        assert [e["ids"] for e in mine][-1] == ["api-diff-1"]


# -- a read-only server ----------------------------------------------------------------------
#: One valid request per write route of the API: (method, route path, url, request keywords).
WRITES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("POST", "/api/v1/datasets/{dataset}/examples", f"{API}/examples",
     {"json": {"examples": [{"id": "w-add-1", "input": "A brand new question"}]}}),
    ("POST", "/api/v1/datasets/{dataset}/import", f"{API}/import",
     {"files": {"file": ("w.jsonl", b'{"id": "w-imp-1", "input": "Imported question"}\n')}}),
    ("PATCH", "/api/v1/datasets/{dataset}/examples/{example_id:path}", f"{API}/examples/refund-002",
     {"json": {"expected": "changed"}}),
    ("POST", "/api/v1/datasets/{dataset}/tag", f"{API}/tag",
     {"json": {"ids": ["refund-002"], "add_scenarios": ["order_status"]}}),
    ("POST", "/api/v1/datasets/{dataset}/review", f"{API}/review", {"json": {"action": "retire", "ids": ["refund-002"]}}),
    ("POST", "/api/v1/datasets/{dataset}/scenarios", f"{API}/scenarios", {"json": {"id": "w_new", "priority": "P2"}}),
    ("PATCH", "/api/v1/datasets/{dataset}/scenarios/{sid}", f"{API}/scenarios/small_talk", {"json": {"priority": "P1"}}),
    ("DELETE", "/api/v1/datasets/{dataset}/scenarios/{sid}", f"{API}/scenarios/small_talk", {"params": {"untag": "true"}}),
    ("POST", "/api/v1/datasets/{dataset}/edge-cases", f"{API}/edge-cases", {"json": {"id": "w_edge"}}),
    ("DELETE", "/api/v1/datasets/{dataset}/edge-cases/{eid}", f"{API}/edge-cases/typo", {"params": {"untag": "true"}}),
    ("POST", "/api/v1/datasets/{dataset}/runs", f"{API}/runs",
     {"files": {"file": ("w.jsonl", b'{"id": "refund-002", "output": "x"}\n')}, "data": {"name": "w-run", "skip_unknown": "true"}}),
    ("DELETE", "/api/v1/datasets/{dataset}/runs/{name}", f"{API}/runs/w-run", {}),
]


def api_write_routes(root: Path) -> set[tuple[str, str]]:
    """(method, path) of every unsafe method the app serves under /api/."""
    return {(m, path) for path, methods in route_table(create_app(root)) if path.startswith("/api/")
            for m in methods if m in ("POST", "PUT", "PATCH", "DELETE")}


def test_read_only_server_refuses_every_write(_served_template: Path, tmp_path: Path) -> None:
    root = copy_served(_served_template, tmp_path / "ro")
    assert {(m, p) for m, p, _, _ in WRITES} == api_write_routes(root)  # no write route left out
    before, lines = fingerprint(root), audit_lines(root)
    with serve(root, "--read-only") as server, server.client("admin") as c:
        for method, _, url, kw in WRITES:
            r = c.request(method, url, **kw)
            assert "read-only" in error_of(r, 409, "ReadOnly"), (method, url)
        assert c.get(f"{API}/examples/refund-002").json()["example"]["expected"] != "changed"
        assert c.get(API).json()["rows"] == 179  # reads still answer
        assert c.get(f"{API}/coverage").status_code == 200
    assert fingerprint(root) == before
    assert audit_lines(root) == lines
