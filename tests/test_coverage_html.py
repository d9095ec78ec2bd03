"""The HTML report, opened in real headless Chromium: gate verdict on top, one bar per scenario."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from goldset.cli.render.coverage import html
from goldset.coverage import compute_coverage, parse_traffic

from helpers import coverage as H

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp / "chromium-profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def test_html_is_self_contained(tmp_path: Path) -> None:
    page = html(compute_coverage(H.build(tmp_path / "ws"), now=H.NOW))
    # No network: no external scripts, styles, images or fonts.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page and "@import" not in page and "url(" not in page


@needs_chromium
def test_html_in_headless_chromium(tmp_path: Path) -> None:
    ds = H.build(tmp_path / "ws")
    traffic = parse_traffic("scenario,share\nrefund,0.5\ngreeting,0.1\n", "t.csv", "csv")
    report = compute_coverage(ds, traffic=traffic, now=H.NOW)
    page = tmp_path / "coverage.html"
    page.write_text(html(report), encoding="utf-8")

    dom = _chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    # The gate verdict is the first thing in the body.
    body = dom[dom.index("<body"):]
    assert body.index('id="gate"') < body.index('id="bars"')
    gate = re.search(r'<header id="gate" class="(\w+)"[^>]*>(.*?)</header>', dom, re.S)
    assert gate is not None and gate.group(1) == "fail"
    assert "Gate FAILED" in gate.group(2)
    for failing in ("refund", "cancel", "billing_dispute"):
        assert f"<code>{failing}</code>" in gate.group(2)
    # One bar per scenario of the taxonomy, coloured by verdict.
    bars = re.findall(r'<g class="bar" data-scenario="([^"]+)" data-verdict="(\w+)"', dom)
    assert sorted(bars) == sorted((s.id, s.verdict) for s in report.scenarios)
    # The heatmap: one cell per scenario x edge case, with the counted examples.
    cells = re.findall(r'<g class="cell" data-scenario="([^"]+)" data-edge-case="([^"]+)" data-count="(\d+)"', dom)
    assert len(cells) == 5 * 3
    assert ("refund", "typo", "1") in cells and ("cancel", "long", "1") in cells
    assert "50% of production traffic" not in dom and "<b>0%</b> of production traffic" in dom

    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


@needs_chromium
def test_cli_html_passing_gate(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "ws"
    H.build(root)
    out = tmp_path / "reports" / "coverage.html"
    r = run_cli("coverage", "-C", str(root), "--fail-on", "P1", "--format", "html", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    dom = _chromium(tmp_path, "--dump-dom", out.as_uri()).stdout
    assert re.search(r'<header id="gate" class="pass" data-passed="true"><h1>Gate PASSED</h1>', dom)
    assert len(re.findall(r'<g class="bar" ', dom)) == 5
