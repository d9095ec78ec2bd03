"""The CLI's renderers: user text prints literally in rich tables (never as markup), and every
verb's -f/--format and -o/--output behave the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from goldset.workspace import Workspace

from helpers.workspace import write_jsonl

INST = "<s>[INST] hi [/INST]"
BOLD = "[bold]x"


def test_list_and_show_print_prompt_markup_literally(bare_ws: Workspace, run_cli: Any) -> None:
    C = ("-C", str(bare_ws.root))
    assert run_cli(*C, "add", INST, "--id", "inst").exit_code == 0
    listed = run_cli(*C, "list")
    assert listed.exit_code == 0, listed.stderr
    assert INST in listed.stdout
    shown = run_cli(*C, "show", "inst")
    assert shown.exit_code == 0, shown.stderr
    assert INST in shown.stdout


def test_bold_markup_prints_literally(bare_ws: Workspace, run_cli: Any) -> None:
    C = ("-C", str(bare_ws.root))
    assert run_cli(*C, "add", BOLD, "--id", "b1", "--expected", "[/]").exit_code == 0
    for args in (("list",), ("show", "b1"), ("query", "SELECT input AS \"[red]col\", expected FROM examples")):
        r = run_cli(*C, *args)
        assert r.exit_code == 0, (args, r.stderr)
        assert BOLD in r.stdout, args
    assert "[red]col" in r.stdout  # a column name from SQL is user text too


def test_audit_note_with_closing_tag_does_not_crash(bare_ws: Workspace, run_cli: Any) -> None:
    C = ("-C", str(bare_ws.root))
    assert run_cli(*C, "add", "hello", "--id", "h1").exit_code == 0
    assert run_cli(*C, "remove", "h1", "--note", "oops [/] :smile: [/INST]").exit_code == 0
    r = run_cli(*C, "audit")
    assert r.exit_code == 0, r.stderr
    assert "oops [/] :smile: [/INST]" in r.stdout


def test_output_dash_is_stdout_and_a_file_gets_a_summary(bare_ws: Workspace, tmp_path: Path, run_cli: Any) -> None:
    C = ("-C", str(bare_ws.root))
    assert run_cli(*C, "add", "hello", "--id", "h1").exit_code == 0
    dash = run_cli(*C, "list", "-f", "json", "-o", "-")
    assert dash.exit_code == 0 and json.loads(dash.stdout)[0]["id"] == "h1"
    out = tmp_path / "out" / "rows.csv"
    r = run_cli(*C, "list", "-f", "csv", "-o", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert f"wrote {out}: 1 row(s)" in r.stderr
    assert out.read_text().splitlines()[0].startswith("id,")


def test_coverage_html_to_stdout_or_to_a_file(bare_ws: Workspace, tmp_path: Path, run_cli: Any) -> None:
    C = ("-C", str(bare_ws.root))
    r = run_cli(*C, "coverage", "-f", "html")
    assert r.exit_code == 0 and r.stdout.startswith("<!DOCTYPE html>")
    page = tmp_path / "report.html"
    w = run_cli(*C, "coverage", "-f", "html", "-o", str(page))
    assert w.exit_code == 0 and w.stdout == ""
    assert page.read_text() == r.stdout


def test_import_takes_input_format_and_format(bare_ws: Workspace, tmp_path: Path, run_cli: Any) -> None:
    C = ("-C", str(bare_ws.root))
    f = write_jsonl(tmp_path / "rows.txt", [{"id": "i1", "input": "hello"}])  # no known extension
    r = run_cli(*C, "import", str(f), "--input-format", "jsonl", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 1
    old = run_cli(*C, "import", str(f), "--input-format", "jsonl", "--output-format", "json")  # deprecated alias
    assert old.exit_code == 0 and json.loads(old.stdout)["unchanged"] == 1
    assert "deprecated" in old.stderr
