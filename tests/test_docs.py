"""The documentation matches the code: the generated CLI reference is current, every verb and
public name is documented, the README stays short, and links between the docs resolve."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import goldset
from goldset.cli import COMMANDS, HIDDEN

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_cli_reference_is_current() -> None:
    proc = subprocess.run(
        [sys.executable, str(DOCS / "gen_cli.py"), "--check"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"docs/cli.md is stale; run `make docs`\n{proc.stdout}{proc.stderr}"


def test_every_verb_has_a_section_in_the_cli_reference() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^## `goldset ([a-z-]+)`$", text, re.M))
    missing = sorted(set(COMMANDS) - HIDDEN - headings)  # hidden verbs are run by tools (git)
    assert not missing, f"docs/cli.md has no section for: {', '.join(missing)}"


def test_cli_reference_has_one_exit_code_table_from_the_errors() -> None:
    from goldset import errors

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert text.count("## Exit codes") == 1
    for name in errors.__all__:
        cls = getattr(errors, name)
        if cls is errors.GoldsetError:
            continue
        row = re.search(rf"^\| (\d+) \| [^|]*`{name}` \| (\d+) \|", text, re.M)
        assert row, f"docs/cli.md: no exit-code row for {name}"
        assert (int(row[1]), int(row[2])) == (cls.exit_code, cls.http_status), name


def test_every_public_name_is_in_the_python_docs() -> None:
    text = (DOCS / "python.md").read_text(encoding="utf-8")
    # As code: `name`, name( or .name, not just the English word ("remove", "show", "add").
    missing = [
        name for name in goldset.__all__
        if name != "__version__" and not re.search(rf"(?<![\w.])(`|\.)?{re.escape(name)}(`|\()", text)
    ]
    assert not missing, f"docs/python.md does not mention: {', '.join(missing)}"


def test_readme_is_short_and_shows_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    lines = len(text.splitlines())
    assert lines < 200, f"README.md has {lines} lines; move reference material to docs/"


def test_the_package_does_not_point_at_the_old_design_draft() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "goldset").rglob("*"))
        if path.is_file() and path.suffix in {".py", ".yaml", ".md", ".txt", ".html", ".j2", ""}
        and "DESIGN.md" in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert not offenders, f"these mention DESIGN.md (the design lives in docs/architecture.md): {offenders}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def test_links_between_docs_resolve() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+://", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.name}: {target} (no such file)")
                continue
            if anchor and dest.suffix == ".md":
                dest_text = re.sub(r"```.*?```", "", dest.read_text(encoding="utf-8"), flags=re.S)
                anchors = {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", dest_text, re.M)}
                if anchor not in anchors:
                    broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)
