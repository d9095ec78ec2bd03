"""The run report's HTML page (``goldset.runs.run_report_page``), opened in real Chromium through
Playwright: the launch verdict on top, the forest plot drawn from the report's intervals, the
latency histogram, hostile ids and outputs shown as text, nothing fetched, no horizontal scroll.

The workspace, the runs and the report are made through the library; every expected number is
read from the report, never written here."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import review
from goldset.ingest import import_file
from goldset.runs import RunReport, add_run, run_report, run_report_page
from goldset.workspace import Dataset, Workspace

from helpers.workspace import write_jsonl, write_spec

WIDTH, HEIGHT = 1280, 800
HOSTILE_ID = "<img src=x onerror=alert(1)>"
HOSTILE_OUT = '"><script>alert(1)</script>'
HOSTILE_EDGE = '"><svg onload=alert(3)>'
QUOTED_ID = 'a"b'
HOSTILE_MODEL = '<script>alert("model")</script>'
HOSTILE_PARAM = "\"><img src=x onerror=alert('param')>"
#: The verdict colours the page promises (its legend): green, red, grey.
COLORS = {"pass": "#2e7d32", "fail": "#c62828", "insufficient": "#757575"}

SPEC = f"""\
version: 1
default_dataset: support-bot
datasets:
  support-bot:
    tiers: [blocking, standard, monitor]
    default_tier: standard
    count_status: [approved]
    gate: {{blocking_priorities: [P0]}}
    edge_cases: {{typo: Misspellings, {json.dumps(HOSTILE_EDGE)}: Hostile}}
    launch_bar:
      min_examples_for_verdict: 3
      priorities: {{P0: {{min_pass_rate: 0.9}}}}
      tiers: {{standard: {{min_pass_rate: 0.9}}}}
      scenarios: {{{json.dumps(HOSTILE_ID)}: {{min_pass_rate: 0.5}}}}
    scenarios:
      refund_request: {{priority: P0}}
      cancel_order: {{priority: P0}}
      greeting: {{priority: P2}}
      {json.dumps(HOSTILE_ID)}: {{priority: P1}}
      {json.dumps(QUOTED_ID)}: {{priority: P2}}
"""


def _examples() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(6):
        rows.append({"id": f"r{i}", "input": f"refund please {i}", "expected": "refund", "scenarios": ["refund_request"],
                     "tier": "blocking" if i < 2 else "standard"})
    for i in range(5):
        rows.append({"id": f"c{i}", "input": f"cancel my order {i}", "expected": "cancel", "scenarios": ["cancel_order"],
                     "polarity": "negative" if i == 0 else "positive", "edge_cases": ["typo"] if i < 2 else []})
    rows.append({"id": "g0", "input": "hello there", "expected": "greeting", "scenarios": ["greeting"]})
    for i in range(4):
        rows.append({"id": f"h{i}", "input": f"odd one {i}", "expected": HOSTILE_OUT, "scenarios": [HOSTILE_ID],
                     "edge_cases": [HOSTILE_EDGE] if i == 0 else []})
    rows.append({"id": "u0", "input": "no scenario at all", "expected": "x"})
    return rows


def _build(ws: Workspace) -> Dataset:
    """The spec above, its examples imported and approved."""
    write_spec(ws.root, SPEC)
    ds = Workspace.open(ws.root).dataset()
    rows = _examples()
    import_file(ds, write_jsonl(ws.root / "examples.jsonl", rows))
    review(ds, "approve", ids=[r["id"] for r in rows])
    return ds


def _full_run(ds: Dataset) -> RunReport:
    """A run that answers every example: c1, c2 wrong, h0 a hostile output, h1 an error, one
    row without latency."""
    outputs = []
    for k, r in enumerate(_examples()):
        out: dict[str, Any] = {"id": r["id"], "output": r["expected"], "latency_ms": 40.0 + 9.5 * k * k, "cost_usd": 0.002}
        if r["id"] in ("c1", "c2"):
            out["output"] = HOSTILE_ID
        if r["id"] == "h0":
            out["output"] = "<b>bold</b> " + HOSTILE_OUT
        if r["id"] == "h1":
            out.update(output=None, error="timeout <i>after</i> 30 s")
        if r["id"] == "g0":
            out.pop("latency_ms")
        outputs.append(out)
    add_run(ds, write_jsonl(ds.workspace.root / "run.jsonl", outputs), "full", model=HOSTILE_MODEL,
            params={"temperature": "0.2", "note": HOSTILE_PARAM})
    return run_report(ds, "full")


# -- the browser ------------------------------------------------------------------------------

@dataclass
class Opened:
    """A page opened from a file, with everything it tried that it should not have."""

    page: Any
    url: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def clean(self) -> None:
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors
        assert self.blocked == [], self.blocked
        assert self.requests == [self.url], self.requests


def _open(browser: Any, html: str, path: Path) -> Opened:
    path.write_text(html, encoding="utf-8")
    page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}).new_page()
    opened = Opened(page=page, url=path.as_uri())

    def on_dialog(dialog: Any) -> None:
        opened.dialogs.append(dialog.message)
        dialog.dismiss()

    def route(r: Any) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            opened.blocked.append(r.request.url)
            r.abort()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: opened.errors.append(str(exc)))
    page.on("console", lambda msg: opened.errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: opened.requests.append(req.url))
    page.route("**/*", route)
    response = page.goto(opened.url)
    assert response is not None and response.ok
    page.wait_for_load_state("load")
    return opened


def _shot(opened: Opened, path: Path) -> None:
    opened.page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    width, height = struct.unpack(">II", data[16:24])
    assert width == WIDTH and height >= HEIGHT


def _scroll_width(opened: Opened) -> int:
    return int(opened.page.evaluate("document.documentElement.scrollWidth"))


_FOREST_JS = """() => {
  const num = (el, a) => el === null ? null : parseFloat(el.getAttribute(a));
  const grid = v => num(document.querySelector(`#forest line.grid[data-value="${v}"]`), "x1");
  return {
    x0: grid("0.0"), x1: grid("1.0"),
    rows: [...document.querySelectorAll("#forest g.scenario")].map(g => ({
      id: g.getAttribute("data-scenario"), verdict: g.getAttribute("data-verdict"),
      ciLow: g.getAttribute("data-ci-low"), ciHigh: g.getAttribute("data-ci-high"),
      label: g.querySelector("text").textContent, title: g.querySelector("title").textContent,
      fill: g.querySelector("circle.rate")?.getAttribute("fill") ?? null,
      cx: num(g.querySelector("circle.rate"), "cx"),
      lo: num(g.querySelector("line.ci"), "x1"), hi: num(g.querySelector("line.ci"), "x2"),
      stroke: g.querySelector("line.ci")?.getAttribute("stroke") ?? null,
      tick: num(g.querySelector("line.bar-tick"), "x1"),
    })),
  };
}"""


def test_page_is_self_contained_and_escapes_everything(bare_ws: Workspace) -> None:
    ds = _build(bare_ws)
    page = run_report_page(_full_run(ds))
    assert "<script" not in page and "@import" not in page and "url(" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "//" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # Every user string is in the page, and only escaped.
    for raw in (HOSTILE_ID, HOSTILE_OUT, HOSTILE_EDGE, HOSTILE_MODEL, HOSTILE_PARAM, QUOTED_ID, "<b>bold</b>", "<i>after</i>"):
        assert raw not in page, raw
    for escaped in ("&lt;img src=x onerror=alert(1)&gt;", "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;", "a&quot;b",
                    "&lt;script&gt;alert(&quot;model&quot;)&lt;/script&gt;", "timeout &lt;i&gt;after&lt;/i&gt; 30 s"):
        assert escaped in page, escaped


def test_run_page_in_chromium(bare_ws: Workspace, browser: Any, tmp_path: Path) -> None:
    ds = _build(bare_ws)
    report = _full_run(ds)
    by_id = {s.id: s for s in report.scenarios}
    # The story this page must tell: a failing blocking scenario, every kind of verdict.
    assert report.verdict == "fail" and by_id["cancel_order"].verdict == "fail"
    assert {s.verdict for s in report.scenarios} == {"pass", "fail", "insufficient"}
    assert by_id[QUOTED_ID].n == 0

    opened = _open(browser, run_report_page(report), tmp_path / "run.html")
    page = opened.page

    # The headline: the launch verdict and every reason, the run and what it was evaluated on.
    header = page.locator("#verdict")
    assert header.get_attribute("data-verdict") == "fail" and header.get_attribute("class") == "fail"
    assert "Launch verdict: fail" in header.inner_text()
    assert page.locator("#reasons li").all_text_contents() == report.reasons
    run_info = page.locator("#run").inner_text()
    assert HOSTILE_MODEL in run_info and f"note={HOSTILE_PARAM}" in run_info and "temperature=0.2" in run_info
    assert report.run.added_by in run_info and report.run.added_at.strftime("%Y-%m-%d %H:%M") in run_info
    assert report.run.data and report.run.data[:12] in run_info
    assert page.locator("#run").get_attribute("data-data") == report.run.data
    assert page.locator("#run").get_attribute("data-model") == HOSTILE_MODEL
    assert report.staleness is not None and page.locator("#fresh").inner_text() == report.staleness.summary()

    # The forest plot: one row per scenario, blocking ones first, coloured by verdict; the dot
    # and the interval where the report's numbers put them on the 0-100% axis.
    forest = page.evaluate(_FOREST_JS)
    rows = forest["rows"]
    assert sorted(r["id"] for r in rows) == sorted(by_id)
    blocking = [by_id[r["id"]].blocking for r in rows]
    assert blocking == sorted(blocking, reverse=True)
    x0, x1 = forest["x0"], forest["x1"]
    assert x1 > x0

    def at(rate: float) -> float:
        return float(x0 + (x1 - x0) * rate)

    for r in rows:
        s = by_id[r["id"]]
        assert r["verdict"] == s.verdict
        assert r["title"].startswith(f"{s.id} ({s.priority})")
        if s.pass_rate is None:
            assert r["fill"] is None and r["lo"] is None and r["label"].startswith(s.id)
        else:
            assert s.ci_low is not None and s.ci_high is not None
            assert r["fill"] == COLORS[s.verdict or ""] == r["stroke"]
            assert float(r["ciLow"]) == pytest.approx(s.ci_low) and float(r["ciHigh"]) == pytest.approx(s.ci_high)
            assert r["lo"] == pytest.approx(at(s.ci_low), abs=0.01)
            assert r["hi"] == pytest.approx(at(s.ci_high), abs=0.01)
            assert r["cx"] == pytest.approx(at(s.pass_rate), abs=0.01)
            assert r["lo"] <= r["cx"] <= r["hi"]
        wanted = s.bar.min_pass_rate if s.bar is not None else None
        if wanted is None:
            assert r["tick"] is None, s.id
        else:
            assert r["tick"] == pytest.approx(at(wanted), abs=0.01), s.id
    hostile = next(r for r in rows if r["id"] == HOSTILE_ID)
    assert hostile["label"] == f"{HOSTILE_ID} (P1)"

    # The latency histogram: one bar per bin of the report, heights in proportion; p50 and p95
    # marked inside the bins that hold them.
    bins = page.evaluate("""() => [...document.querySelectorAll("#latency rect.bin")].map(r => ({
        from: +r.dataset.from, to: +r.dataset.to, count: +r.dataset.count,
        x: +r.getAttribute("x"), w: +r.getAttribute("width"), h: +r.getAttribute("height")}))""")
    assert len(report.latency_histogram) > 1
    assert [(b["from"], b["to"], b["count"]) for b in bins] == [tuple(h) for h in report.latency_histogram]
    assert sum(b["count"] for b in bins) == report.overall.latency_n < report.overall.n
    top = max(bins, key=lambda b: b["count"])
    for b in bins:
        assert b["h"] == pytest.approx(top["h"] * b["count"] / top["count"], abs=0.01)
    assert [b["x"] for b in bins] == sorted(b["x"] for b in bins)
    for name, value in (("p50", report.overall.latency_p50_ms), ("p95", report.overall.latency_p95_ms)):
        assert value is not None
        mark = page.locator(f"#latency line.{name}")
        assert float(mark.get_attribute("data-ms") or "nan") == pytest.approx(value)
        holder = next(b for b in bins if b["from"] <= value <= b["to"])
        assert holder["x"] - 0.6 <= float(mark.get_attribute("x1") or "nan") <= holder["x"] + holder["w"] + 1.1
    assert page.locator("#latency-empty").count() == 0

    # The tables: every scenario (and the untagged), tier, edge case, polarity and failure.
    ids = page.locator("#scenarios tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert ids == [r["id"] for r in rows] + ([""] if report.untagged.n else [])
    assert report.untagged.n == 1
    verdicts = page.locator("#scenarios tbody tr td:nth-child(10)").all_text_contents()
    words = {"pass": "pass", "fail": "fail", "insufficient": "not enough evidence"}
    assert verdicts[:len(rows)] == [words[by_id[r["id"]].verdict or ""] for r in rows]
    tier_rows = page.locator("#tiers tbody tr")
    assert tier_rows.evaluate_all("rs => rs.map(r => r.dataset.id)") == [t.id for t in report.tiers]
    assert page.locator("#tiers tbody tr td:nth-child(9)").all_text_contents() == \
        [words[t.verdict] if t.verdict else "" for t in report.tiers]
    assert any(t.verdict is None for t in report.tiers) and any(t.verdict == "fail" for t in report.tiers)
    assert page.locator("#edge-cases tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)") == \
        [g.id for g in report.edge_cases]
    assert HOSTILE_EDGE in [g.id for g in report.edge_cases]
    assert page.locator("#polarity tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)") == \
        [g.id for g in report.polarity]
    failures = page.locator("#failures tbody tr")
    assert failures.count() == len(report.failures) == report.overall.failed
    cells = failures.evaluate_all("rs => rs.map(r => [...r.cells].map(c => c.textContent))")
    assert [c[0] for c in cells] == [f.id for f in report.failures]
    assert [c[3] for c in cells] == [f.output or "" for f in report.failures]
    assert [c[4] for c in cells] == [f.expected or "" for f in report.failures]
    by_row = {c[0]: c for c in cells}
    assert by_row["c1"][3] == HOSTILE_ID and by_row["h0"][4] == HOSTILE_OUT
    assert by_row["h0"][3] == "<b>bold</b> " + HOSTILE_OUT and by_row["h1"][5] == "timeout <i>after</i> 30 s"
    # Per scenario: each scenario's own failures.
    for i, r in enumerate(rows):
        s = by_id[r["id"]]
        got = page.locator(f"#scenario-failures-{i} tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
        assert got == [f.id for f in s.failures], s.id

    # Hostile strings stayed text: no element they could have made, no dialog, no script error.
    made = page.evaluate("() => document.querySelectorAll("
                         "'img, script, iframe, object, embed, svg svg, [onerror], [onload], [onmouseover]').length")
    assert made == 0
    assert page.locator("#forest title", has_text=HOSTILE_ID).count() == 1

    assert _scroll_width(opened) <= WIDTH
    opened.clean()
    _shot(opened, tmp_path / "run.png")


def test_partial_stale_run_without_latency(bare_ws: Workspace, browser: Any, tmp_path: Path) -> None:
    """Not enough evidence, a partial run, data changed since, no latency at all."""
    ds = _build(bare_ws)
    answers = [{"id": "g0", "output": "greeting"}, {"id": "r0", "output": "refund"}, {"id": "h2", "output": HOSTILE_OUT}]
    add_run(ds, write_jsonl(bare_ws.root / "partial.jsonl", answers), "partial", partial=True)
    extra = [{"id": "r9", "input": "one more refund", "expected": "refund", "scenarios": ["refund_request"]}]
    import_file(ds, write_jsonl(bare_ws.root / "more.jsonl", extra))
    review(ds, "approve", ids=["r9"])
    report = run_report(ds, "partial")
    assert report.verdict == "insufficient" and report.latency_histogram == []
    assert report.staleness is not None and report.staleness.stale

    opened = _open(browser, run_report_page(report), tmp_path / "partial.html")
    page = opened.page
    assert page.locator("#verdict").get_attribute("data-verdict") == "insufficient"
    assert "not enough evidence" in page.locator("#verdict h1").inner_text()
    assert page.locator("#reasons li").all_text_contents() == report.reasons
    assert page.locator("#stale").inner_text() == report.staleness.summary()
    assert "r9" in page.locator("#stale").inner_text()
    partial = page.locator("#partial").inner_text()
    assert "Partial run" in partial and f"{report.run.counted - report.run.answered:,}" in partial
    assert page.locator("#latency").count() == 0
    assert page.locator("#latency-empty").inner_text() == "no latency recorded"
    # Scenarios the run did not answer have a row and no dot.
    rows = page.evaluate(_FOREST_JS)["rows"]
    assert len(rows) == len(report.scenarios)
    assert {r["id"]: r["fill"] is None for r in rows} == {s.id: s.n == 0 for s in report.scenarios}
    assert any(s.n == 0 for s in report.scenarios) and any(s.n for s in report.scenarios)
    assert _scroll_width(opened) <= WIDTH
    opened.clean()
    _shot(opened, tmp_path / "partial.png")


def test_150_scenarios_grow_the_plot_in_height(bare_ws: Workspace, browser: Any, tmp_path: Path) -> None:
    ids = [f"scenario_{i:03d}" for i in range(148)] + ["x" * 128, "long label " * 10 + HOSTILE_ID[:10]]
    spec = SPEC.split("    scenarios:\n")[0].replace(f"      scenarios: {{{json.dumps(HOSTILE_ID)}: {{min_pass_rate: 0.5}}}}\n", "")
    spec += "    scenarios:\n" + "".join(f"      {json.dumps(s)}: {{priority: P{i % 3}}}\n" for i, s in enumerate(ids))
    write_spec(bare_ws.root, spec)
    ds = Workspace.open(bare_ws.root).dataset()
    tagged = [(s, f"example {i} {k}") for i, s in enumerate(ids) for k in range(1 + i % 4)]
    rows: list[dict[str, Any]] = [{"id": f"e{k}", "input": text, "expected": "ok", "scenarios": [s]}
                                  for k, (s, text) in enumerate(tagged)]
    import_file(ds, write_jsonl(bare_ws.root / "many.jsonl", rows))
    review(ds, "approve", ids=[r["id"] for r in rows])
    outs = [{"id": r["id"], "output": "ok" if k % 5 else "no", "latency_ms": 100 + k} for k, r in enumerate(rows)]
    add_run(ds, write_jsonl(bare_ws.root / "many-run.jsonl", outs), "many")
    report = run_report(ds, "many")
    assert len(report.scenarios) == 150

    few = report.model_copy(update={"scenarios": report.scenarios[:5]})
    sizes = {}
    for name, rep in (("few", few), ("many", report)):
        opened = _open(browser, run_report_page(rep), tmp_path / f"{name}.html")
        box = opened.page.locator("#forest").bounding_box()
        assert box is not None
        sizes[name] = box
        assert opened.page.locator("#forest g.scenario").count() == len(rep.scenarios)
        assert _scroll_width(opened) <= WIDTH
        opened.clean()
        _shot(opened, tmp_path / f"{name}.png")
    assert sizes["many"]["width"] == sizes["few"]["width"] <= WIDTH
    # Each further scenario adds a row of at least 15 px (20 in the SVG's own units).
    assert sizes["many"]["height"] > sizes["few"]["height"] + (len(report.scenarios) - len(few.scenarios)) * 15
