"""The fuzz corpus, kept (issue 10): hundreds of bad inputs, each run through the CLI against a
fresh copy of a seeded workspace. For every entry:

- the exit code is one of the documented ones (docs/cli.md), and never 0 unless the input is
  documented as accepted (``accepted=True``);
- no output, stdout or stderr, holds a traceback, and nothing escapes as an exception;
- stderr is one ``error: ...`` line, then at most 50 indented items (docs/cli.md); for a bad
  spec, exactly one line;
- the store, the spec, ``expectations/`` and every file under ``datasets/`` are byte-identical
  afterwards, except that the audit log may grow by one refusal: its old bytes are a prefix of
  the new, and the new line is one JSON object with ``"allowed": false``;
- nothing an attack names outside the workspace (``@TMP@/leak*``) comes into existence.

The corpus is data:

- ``tests/fuzz/files/``: small bad input files, each imported with ``goldset import FILE``
  and expected to exit 3 unless ``FILE_EXPECT`` below says otherwise. Adding a case is adding
  a file.
- ``GENERATED``: inputs too big or too binary to keep as files (a 2 MB field, 5,000 keys,
  Parquet files), written once per module.
- ``ARGV``: command-line vectors (SQL for ``query`` and ``--where``, flags, ids, roles).
- ``tests/fuzz/traffic/``: bad production-traffic files for ``coverage --traffic`` (exit 3).
- ``SPEC_DOCS``: goldset.yaml variants; each runs ``stats``, ``list`` and ``import`` of a
  good file, which must all exit 5 with one line on stderr.
- ``SUITE_DOCS``: bad expectations/<dataset>.json suites for ``validate`` and ``expectations
  generate`` (exit 5, the file left as it was).
- ``STORE_DAMAGE``: a damaged manifest or part under ``stats``, ``list`` and ``import`` (exit 6,
  nothing repaired or written behind the user's back).

Argument placeholders: ``@WS@`` the workspace copy, ``@TMP@`` a scratch directory outside it,
``@FILES@`` tests/fuzz/files, ``@TRAFFIC@`` tests/fuzz/traffic, ``@GEN@`` the generated files,
``@GOOD@`` a good JSONL file.
Without ``-C`` in the vector, ``-C @WS@`` comes first.
"""

from __future__ import annotations

import io
import json
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from goldset.ingest import add
from goldset.workspace import Workspace

from helpers import cli
from helpers.workspace import SPEC, identity_env, write_spec

FUZZ = Path(__file__).parent / "fuzz"
FILES = FUZZ / "files"
TRAFFIC = FUZZ / "traffic"  # each: `goldset coverage --traffic FILE` exits 3
GOOD = FUZZ / "good.jsonl"
DATASET = "support-bot"

#: Exit codes of docs/cli.md (130: Ctrl-C).
DOCUMENTED = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 130})
USAGE = frozenset({2})
BAD = frozenset({3})
FLAG = frozenset({2, 3})  # a wrong flag value: usage (2) or bad value (3), both documented
PERM = frozenset({4})
WS = frozenset({5})
REV = frozenset({3, 5, 7})  # --rev in a workspace without git history: bad value, workspace or git error
STORE = frozenset({6})

ADMIN, RESEARCH, PM, NOBODY = "tester@example.com", "res@example.com", "pm@example.com", "nobody@example.com"
#: helpers.workspace.SPEC with roles, so refusals by role (exit 4, one audit line) are covered.
#: The default test user (conftest) is the admin.
SEED_SPEC = SPEC + f"    roles: {{{ADMIN}: admin, {RESEARCH}: research, {PM}: pm}}\n"

_SCENARIOS = ["refund_request", "cancel_order", "greeting"]
_TIERS = ["blocking", "standard", "monitor"]
SEED_ROWS = [
    {"id": f"ex-{i:02d}", "input": f"example number {i}", "expected": "label", "scenarios": [_SCENARIOS[i % 3]],
     "tier": _TIERS[i % 3], "status": "approved" if i % 2 else "draft",
     "polarity": "negative" if i % 5 == 0 else "positive", "edge_cases": ["typo"] if i % 4 == 0 else []}
    for i in range(20)
]


#: A file planted in the workspace copy: its bytes, None (delete it), or a function of its old bytes.
Plant = bytes | None | Callable[[bytes], bytes]


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    exits: frozenset[int]
    user: str | None = None  # GOLDSET_USER for this run
    spec: str | bytes | None = None  # goldset.yaml written into the copy first; DIRECTORY: a directory
    one_line: bool = False  # stderr is exactly one line, "error: ..."
    accepted: bool = False  # documented as accepted: exit 0 may write
    #: Files planted in the copy first: (path or glob relative to it, bytes / None to delete /
    #: a function of the old bytes).
    plant: tuple[tuple[str, Plant], ...] = ()


DIRECTORY = "<a directory named goldset.yaml>"


# -- input files ---------------------------------------------------------------------------------

#: Files of tests/fuzz/files/ that do not simply exit 3 on `goldset import FILE` (none yet):
#: name -> (argv after "import FILE", exit codes, accepted).
FILE_EXPECT: dict[str, tuple[tuple[str, ...], frozenset[int], bool]] = {}


def _parquet(table_or_schema: object) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = table_or_schema.empty_table() if isinstance(table_or_schema, pa.Schema) else table_or_schema
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _pq_truncated() -> bytes:
    import pyarrow as pa

    data = _parquet(pa.table({"input": [f"row {i}" for i in range(200)]}))
    return data[: len(data) // 2]


def _pq_footer_garbage() -> bytes:
    import pyarrow as pa

    data = _parquet(pa.table({"input": ["a", "b"]}))
    return data[:-12] + b"\xff" * 8 + b"PAR1"


def _pq(**columns: object) -> Callable[[], bytes]:
    def make() -> bytes:
        import pyarrow as pa

        return _parquet(pa.table(columns))  # type: ignore[arg-type]

    return make


def _pq_typed(columns: dict[str, tuple[list[object], str]]) -> Callable[[], bytes]:
    def make() -> bytes:
        import pyarrow as pa

        return _parquet(pa.table({k: pa.array(v, type=getattr(pa, t)()) for k, (v, t) in columns.items()}))

    return make


def _pq_no_rows() -> bytes:
    import pyarrow as pa

    return _parquet(pa.schema([("input", pa.string()), ("expected", pa.string())]))


def _pq_nested(levels: int) -> bytes:
    import pyarrow as pa

    typ: pa.DataType = pa.string()
    value: object = "x"
    for _ in range(levels):
        typ, value = pa.list_(typ), [value]
    return _parquet(pa.table({"input": pa.array(["deep"]), "extra": pa.array([value], type=typ)}))


def _pq_scenarios_struct() -> bytes:
    import pyarrow as pa

    return _parquet(pa.table({"input": ["a"], "scenarios": pa.array([{"refund_request": True}])}))


def _pq_duplicate_columns() -> bytes:
    import pyarrow as pa

    schema = pa.schema([("input", pa.string()), ("input", pa.string())])
    return _parquet(pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], schema=schema))


#: name -> (bytes, argv after "import FILE", exit codes, accepted)
GENERATED: dict[str, tuple[Callable[[], bytes], tuple[str, ...], frozenset[int], bool]] = {
    "jsonl-input-2mb.jsonl": (lambda: b'{"input": "' + b"x" * (2 << 20) + b'"}\n', (), BAD, False),
    "jsonl-extra-field-2mb.jsonl": (lambda: b'{"input": "a", "blob": "' + b"y" * (2 << 20) + b'"}\n', (), BAD, False),
    "jsonl-2mb-line-no-newline.jsonl": (lambda: b'{"input": "' + b"z" * (2 << 20), (), BAD, False),
    # Documented: fields that map to no column are kept in metadata (no limit on their number).
    "jsonl-5000-keys.jsonl": (
        lambda: (json.dumps({"id": "many-keys", "input": "a row with 5,000 keys"} | {f"k{i:04d}": i for i in range(5000)}) + "\n").encode(),
        (), frozenset({0}), True),
    # Documented: a field holds up to 1 MiB; Python's csv module stops at 128 KiB by default.
    "csv-field-200kb.csv": (lambda: b"id,input\nbig-csv," + b"w" * 200_000 + b"\n", (), frozenset({0}), True),
    "csv-field-200kb-unclosed-quote.csv": (lambda: b'input,expected\n"' + b"q" * 200_000 + b",x\nhello,greet\n", (), BAD, False),
    "csv-field-2mb.csv": (lambda: b"input,expected\n" + b"w" * (2 << 20) + b",x\n", (), BAD, False),
    "csv-field-5mb-unclosed-quote.csv": (lambda: b'input,expected\n"' + b"q" * (5 << 20) + b"\n", (), BAD, False),
    "parquet-truncated.parquet": (_pq_truncated, (), BAD, False),
    "parquet-footer-garbage.parquet": (_pq_footer_garbage, (), BAD, False),
    "parquet-no-rows.parquet": (_pq_no_rows, (), BAD, False),
    "parquet-input-int64.parquet": (_pq(input=[1, 2, 3]), (), BAD, False),
    "parquet-input-double-nan.parquet": (_pq(input=[float("nan")]), (), BAD, False),
    "parquet-input-null.parquet": (_pq_typed({"input": ([None], "string")}), (), BAD, False),
    "parquet-input-binary-not-utf8.parquet": (_pq_typed({"input": ([b"caf\xe9"], "binary")}), (), BAD, False),
    "parquet-no-input-column.parquet": (_pq(question=["refund me"]), (), BAD, False),
    "parquet-tier-list.parquet": (_pq(input=["a"], tier=[["blocking"]]), (), BAD, False),
    "parquet-scenarios-int-list.parquet": (_pq(input=["a"], scenarios=[[1, 2]]), (), BAD, False),
    "parquet-scenarios-struct.parquet": (_pq_scenarios_struct, (), BAD, False),
    "parquet-unknown-scenario.parquet": (_pq(input=["a"], scenarios=[["refund_requets"]]), (), BAD, False),
    "parquet-extra-nan.parquet": (_pq(input=["a"], score=[float("nan")]), (), BAD, False),
    "parquet-extra-infinity.parquet": (_pq(input=["a"], score=[float("inf")]), (), BAD, False),
    "parquet-nested-100-levels.parquet": (lambda: _pq_nested(100), (), BAD, False),
    "parquet-duplicate-columns.parquet": (_pq_duplicate_columns, (), BAD, False),
    "parquet-id-dotdot.parquet": (_pq(id=["../x"], input=["a"]), (), BAD, False),
    "parquet-id-with-space.parquet": (_pq(id=["has space"], input=["a"]), (), BAD, False),
}


def _file_cases() -> list[Case]:
    out = []
    for path in sorted(FILES.iterdir()):
        extra, exits, accepted = FILE_EXPECT.get(path.name, ((), BAD, False))
        out.append(Case(f"file:{path.name}", ("import", f"@FILES@/{path.name}", *extra), exits, accepted=accepted))
    for name, (_, extra, exits, accepted) in GENERATED.items():
        out.append(Case(f"gen:{name}", ("import", f"@GEN@/{name}", *extra), exits, accepted=accepted))
    for path in sorted(TRAFFIC.iterdir()):
        out.append(Case(f"traffic:{path.name}", ("coverage", "--traffic", f"@TRAFFIC@/{path.name}"), BAD))
    return out


# -- command lines -------------------------------------------------------------------------------

PARENS_10K = "(" * 10_000 + "true" + ")" * 10_000
SURROGATE = "\udcff"  # what an undecodable byte of a command-line argument becomes (surrogateescape)

#: SQL `goldset query` must refuse (exit 3).
QUERY_SQL: dict[str, str] = {
    "second-statement": "SELECT * FROM examples; DROP TABLE examples",
    "second-statement-true": "SELECT true; DROP TABLE x",
    "drop-table": "DROP TABLE examples",
    "delete": "DELETE FROM examples",
    "update": "UPDATE examples SET tier = 'blocking'",
    "insert": "INSERT INTO examples SELECT * FROM examples",
    "create-table-as": "CREATE TABLE t AS SELECT * FROM examples",
    "create-macro": "CREATE MACRO m(x) AS x",
    "subquery-read-text": "SELECT (SELECT content FROM read_text('/etc/passwd')) AS c",
    "read-text": "SELECT content FROM read_text('/etc/passwd')",
    "read-csv": "SELECT * FROM read_csv('/etc/passwd')",
    "read-csv-in-subquery": "SELECT * FROM examples WHERE id IN (SELECT * FROM read_csv_auto('/etc/hosts'))",
    "read-parquet-of-the-store": "SELECT * FROM read_parquet('@WS@/datasets/support-bot/*.parquet')",
    "read-blob-scalar": "SELECT content FROM read_blob('/etc/hostname')",
    "glob": "SELECT * FROM glob('/etc/*')",
    "getenv": "SELECT getenv('HOME') AS h",
    "copy-to-file": "COPY examples TO '@TMP@/leak.csv'",
    "copy-select-to-parquet": "COPY (SELECT * FROM examples) TO '@TMP@/leak.parquet' (FORMAT parquet)",
    "attach": "ATTACH '@TMP@/leak.db' AS leak",
    "export-database": "EXPORT DATABASE '@TMP@/leak-export'",
    "pragma": "PRAGMA database_list",
    "call": "CALL pragma_version()",
    "set": "SET enable_external_access = true",
    "install": "INSTALL httpfs",
    "load": "LOAD httpfs",
    "query-table-function": "SELECT * FROM query('SELECT 42')",
    "unterminated-comment": "SELECT 1 /* never closed",
    "empty": "",
    "whitespace": "   \n\t ",
    "only-semicolons": ";;;",
    "unbalanced-quote": "SELECT 'abc FROM examples",
    "unbalanced-double-quote": 'SELECT "input FROM examples',
    "unbalanced-parens": "SELECT ((1 FROM examples",
    "nested-parens-10000": "SELECT " + PARENS_10K,
    "unknown-column": "SELECT nope FROM examples",
    "unknown-table": "SELECT * FROM nope",
    "runtime-cast-error": "SELECT CAST(input AS INTEGER) FROM examples",
    "lone-surrogate": f"SELECT '{SURROGATE}' AS s",
}

#: `--where` predicates every verb must refuse (exit 3).
WHERE_SQL: dict[str, str] = {
    "second-statement": "true; DROP TABLE x",
    "subquery": "id IN (SELECT id FROM examples)",
    "exists": "EXISTS (SELECT 1)",
    "read-text": "read_text('/etc/passwd') IS NOT NULL",
    "read-csv-subquery": "(SELECT count(*) FROM read_csv('/etc/passwd')) > 0",
    "read-csv": "read_csv('/etc/passwd') IS NOT NULL",
    "copy": "COPY examples TO '@TMP@/leak.csv'",
    "copy-breakout": "true) TO '@TMP@/leak.csv' --",
    "attach": "ATTACH '@TMP@/leak.db'",
    "pragma": "PRAGMA version",
    "call": "CALL pragma_version()",
    "getenv": "getenv('HOME') IS NOT NULL",
    "comment": "true --",
    "block-comment": "true /*",
    "empty": "",
    "whitespace": "   ",
    "unbalanced-quote": "input = 'abc",
    "nested-parens-10000": PARENS_10K,
    "unknown-column": "nope = 1",
    "aggregate": "count(*) > 0",
    "window": "row_number() OVER () > 1",
    "union": "true UNION SELECT * FROM examples",
    "order-by": "true ORDER BY id",
    "limit": "true LIMIT 1",
    "paren-breakout": "true)) OR ((true",
    "not-boolean": "input",
    "parameter": "input = ?",
    "lone-surrogate": f"input = '{SURROGATE}'",
}

#: The verbs that take --where, with what they would do; the write verbs must write nothing.
WHERE_VERBS: dict[str, tuple[str, ...]] = {
    "list": ("list",),
    "tag": ("tag", "--tier", "blocking"),
    "review": ("review", "--approve"),
}
#: A few predicates run through every --where verb; the rest through `list` only.
WHERE_ON_ALL_VERBS = ("second-statement", "subquery", "read-csv", "copy", "getenv", "comment", "empty",
                      "nested-parens-10000", "unknown-column", "lone-surrogate")

ID_300 = "x" * 300
DEEP_JSON = '{"a": ' * 2000 + "1" + "}" * 2000
BIG = "x" * (2 << 20)


def _c(name: str, *argv: str, exits: frozenset[int], **kw: object) -> Case:
    return Case(name, argv, exits, **kw)  # type: ignore[arg-type]


ARGV: list[Case] = [
    # flags of reading verbs
    _c("list-limit-negative", "list", "--limit", "-1", exits=USAGE),
    _c("list-limit-1e23", "list", "--limit", "1e23", exits=USAGE),
    _c("list-limit-text", "list", "--limit", "ten", exits=USAGE),
    # "At most N rows" [x>=0]: any integer that large is a valid N.
    _c("list-limit-huge-integer", "list", "--limit", "1" + "0" * 23, exits=frozenset({0, 2, 3}), accepted=True),
    _c("list-tier-sql", "list", "--tier", "m' OR 1=1 --", exits=FLAG),
    _c("list-scenario-sql", "list", "--scenario", "x' OR '1'='1", exits=FLAG),
    _c("list-scenario-sql-breakout", "list", "--scenario", "refund_request']) OR true --", exits=FLAG),
    _c("list-status-bogus", "list", "--status", "published", exits=USAGE),
    _c("list-polarity-bogus", "list", "--polarity", "maybe", exits=USAGE),
    _c("list-format-xml", "list", "--format", "xml", exits=USAGE),
    _c("list-output-is-a-directory", "list", "-o", "@TMP@", exits=USAGE),
    _c("list-output-over-the-spec", "list", "-f", "csv", "-o", "@WS@/goldset.yaml", exits=FLAG),
    _c("list-output-over-the-manifest", "list", "-f", "json", "-o", "@WS@/datasets/support-bot/_manifest.json", exits=FLAG),
    _c("list-output-over-the-audit-log", "list", "-f", "jsonl", "-o", "@WS@/datasets/support-bot.audit.jsonl", exits=FLAG),
    _c("stats-format-xml", "stats", "--format", "xml", exits=USAGE),
    _c("query-format-xml", "query", "SELECT 1", "--format", "xml", exits=USAGE),
    _c("query-timeout-zero", "query", "SELECT 1", "--timeout", "0", exits=USAGE),
    _c("query-timeout-negative", "query", "SELECT 1", "--timeout", "-5", exits=USAGE),
    _c("query-timeout-nan", "query", "SELECT 1", "--timeout", "nan", exits=USAGE),
    _c("query-memory-limit-bogus", "query", "SELECT 1", "--memory-limit", "lots", exits=USAGE),
    _c("query-memory-limit-tiny", "query", "SELECT 1", "--memory-limit", "1KB", exits=USAGE),
    _c("coverage-format-xml", "coverage", "--format", "xml", exits=USAGE),
    _c("coverage-fail-on-p9", "coverage", "--fail-on", "P9", exits=FLAG),
    _c("coverage-fail-on-sql", "coverage", "--fail-on", "P0' OR 1=1 --", exits=FLAG),
    _c("coverage-traffic-missing", "coverage", "--traffic", "@TMP@/nope.csv", exits=FLAG),
    _c("coverage-traffic-binary-garbage", "coverage", "--traffic", "@FILES@/csv-binary-garbage.csv", exits=BAD),
    _c("coverage-traffic-utf16", "coverage", "--traffic", "@FILES@/csv-utf16.csv", exits=BAD),
    _c("audit-limit-zero", "audit", "--limit", "0", exits=USAGE),
    _c("audit-since-99999999999d", "audit", "--since", "99999999999d", exits=FLAG),
    _c("audit-since-huge-hours", "audit", "--since", "9" * 30 + "h", exits=FLAG),
    _c("audit-since-yesterday", "audit", "--since", "yesterday", exits=FLAG),
    _c("audit-since-bad-date", "audit", "--since", "2026-13-45", exits=FLAG),
    _c("audit-since-year-zero", "audit", "--since", "0000-01-01", exits=FLAG),
    _c("audit-since-weeks", "audit", "--since", "7w", exits=FLAG),
    _c("audit-since-negative", "audit", "--since=-5d", exits=FLAG),
    _c("log-limit-zero", "log", "-n", "0", exits=USAGE),
    _c("check-sample-zero", "check", "--sample", "0", exits=USAGE),
    _c("diff-sample-negative", "diff", "--sample", "-1", exits=USAGE),
    # datasets and workspaces
    _c("dataset-dotdot", "-d", "../../etc", "list", exits=WS),
    _c("dataset-dotdot-import", "-d", "../x", "import", "@GOOD@", exits=WS),
    _c("dataset-absolute", "-d", "/etc", "stats", exits=WS),
    _c("dataset-empty-name", "-d", "", "list", exits=WS),
    _c("dataset-unknown", "-d", "nosuch", "list", exits=WS),
    _c("dataset-upper-case", "-d", "Support-Bot", "stats", exits=WS),
    _c("workspace-nonexistent", "-C", "/nonexistent", "list", exits=WS),
    _c("workspace-nonexistent-import", "-C", "/nonexistent", "import", "@GOOD@", exits=WS),
    _c("workspace-is-a-file", "-C", "@GOOD@", "list", exits=frozenset({2, 5})),
    _c("workspace-without-spec", "-C", "@TMP@", "stats", exits=WS),
    _c("rev-unknown", "list", "--rev", "nosuch", exits=REV),
    _c("rev-option-injection", "list", "--rev", "--output=@TMP@/leak-rev", exits=REV),
    _c("diff-unknown-revisions", "diff", "nosuch-a", "nosuch-b", exits=REV),
    # verbs and options
    _c("unknown-verb", "frobnicate", exits=USAGE),
    _c("unknown-verb-typo", "lsit", exits=USAGE),
    _c("unknown-subverb", "scenario", "frob", exits=USAGE),
    _c("unknown-option", "list", "--bogus", exits=USAGE),
    _c("show-without-id", "show", exits=USAGE),
    _c("import-without-file", "import", exits=USAGE),
    _c("snapshot-without-message", "snapshot", exits=USAGE),
    # import flags
    _c("import-map-without-equals", "import", "@GOOD@", "--map", "nonsense", exits=USAGE),
    _c("import-map-unknown-field", "import", "@GOOD@", "--map", "q=nonsense", exits=USAGE),
    _c("import-map-empty-source", "import", "@GOOD@", "--map", "=input", exits=USAGE),
    _c("import-map-empty-field", "import", "@GOOD@", "--map", "input=", exits=USAGE),
    _c("import-on-duplicate-maybe", "import", "@GOOD@", "--on-duplicate", "maybe", exits=USAGE),
    _c("import-input-format-xml", "import", "@GOOD@", "--input-format", "xml", exits=USAGE),
    _c("import-format-xml", "import", "@GOOD@", "--format", "xml", exits=USAGE),
    _c("import-status-bogus", "import", "@GOOD@", "--status", "published", exits=USAGE),
    _c("import-unknown-scenario-flag", "import", "@GOOD@", "--scenario", "nosuch", exits=BAD),
    _c("import-unknown-edge-case-flag", "import", "@GOOD@", "--edge-case", "tpyo", exits=BAD),
    _c("import-unknown-tier-flag", "import", "@GOOD@", "--tier", "gold", exits=BAD),
    _c("import-tier-flag-sql", "import", "@GOOD@", "--tier", "m' OR 1=1 --", exits=BAD),
    _c("import-scenario-flag-sql", "import", "@GOOD@", "--scenario", "x'); DROP TABLE examples; --", exits=BAD),
    _c("import-nonexistent-file", "import", "@TMP@/nope.jsonl", exits=FLAG),
    _c("import-a-directory", "import", "@TMP@", "--input-format", "jsonl", exits=FLAG),
    _c("import-dev-null", "import", "/dev/null", "--input-format", "jsonl", exits=BAD),
    _c("import-stdin-dash-empty", "import", "-", "--input-format", "jsonl", exits=FLAG),
    _c("import-bad-file-as-parquet", "import", "@GOOD@", "--input-format", "parquet", exits=BAD),
    _c("import-good-file-as-csv-without-input-column", "import", "@FILES@/csv-no-input-column.csv", "--input-format", "jsonl", exits=BAD),
    _c("import-rejects-is-a-directory", "import", "@FILES@/jsonl-malformed.jsonl", "--rejects", "@TMP@", exits=FLAG),
    _c("import-rejects-over-the-manifest", "import", "@FILES@/jsonl-malformed.jsonl", "--rejects",
       "@WS@/datasets/support-bot/_manifest.json", exits=FLAG),
    _c("import-rejects-over-the-spec", "import", "@FILES@/jsonl-malformed.jsonl", "--rejects", "@WS@/goldset.yaml", exits=FLAG),
    _c("import-rejects-over-the-audit-log", "import", "@FILES@/jsonl-malformed.jsonl", "--rejects",
       "@WS@/datasets/support-bot.audit.jsonl", exits=FLAG),
    # ids
    _c("show-unknown-id", "show", "nosuch", exits=BAD),
    _c("show-empty-id", "show", "", exits=BAD),
    _c("show-dotdot-id", "show", "../x", exits=BAD),
    _c("show-300-char-id", "show", ID_300, exits=BAD),
    _c("show-sql-id", "show", "x' OR '1'='1", exits=BAD),
    _c("show-lone-surrogate-id", "show", SURROGATE, exits=BAD),
    _c("remove-unknown-id", "remove", "nosuch", exits=BAD),
    _c("remove-known-and-unknown-id", "remove", "ex-01", "nosuch", exits=BAD),
    _c("remove-sql-id", "remove", "' OR 1=1 --", exits=BAD),
    _c("remove-without-ids", "remove", exits=USAGE),
    # review
    _c("review-approve-nothing-selected", "review", "--approve", exits=USAGE),
    _c("review-without-action", "review", "ex-01", exits=USAGE),
    _c("review-approve-and-retire", "review", "ex-01", "--approve", "--retire", exits=USAGE),
    _c("review-unknown-id", "review", "nosuch", "--approve", exits=BAD),
    _c("review-unknown-id-with-where", "review", "nosuch", "--where", "true", "--approve", exits=BAD),
    # edit
    _c("edit-empty-input", "edit", "ex-01", "--input", "", exits=BAD),
    _c("edit-whitespace-input", "edit", "ex-01", "--input", " \t\u3000 ", exits=BAD),
    _c("edit-nothing-to-change", "edit", "ex-01", exits=USAGE),
    _c("edit-unknown-id", "edit", "nosuch", "--expected", "x", exits=BAD),
    _c("edit-metadata-list", "edit", "ex-01", "--metadata", "[1, 2]", exits=BAD),
    _c("edit-metadata-malformed", "edit", "ex-01", "--metadata", "{bad", exits=BAD),
    _c("edit-metadata-nan", "edit", "ex-01", "--metadata", '{"a": NaN}', exits=BAD),
    _c("edit-metadata-duplicate-keys", "edit", "ex-01", "--metadata", '{"a": 1, "a": 2}', exits=BAD),
    _c("edit-metadata-nested-2000", "edit", "ex-01", "--metadata", DEEP_JSON, exits=BAD),
    _c("edit-input-2mb", "edit", "ex-01", "--input", BIG, exits=BAD),
    _c("edit-input-lone-surrogate", "edit", "ex-01", "--input", f"bad {SURROGATE}", exits=BAD),
    _c("edit-expected-lone-surrogate", "edit", "ex-01", "--expected", SURROGATE, exits=BAD),
    # tag
    _c("tag-nothing-to-change", "tag", "ex-01", exits=USAGE),
    _c("tag-nothing-selected", "tag", "--tier", "blocking", exits=USAGE),
    _c("tag-unknown-id", "tag", "nosuch", "--tier", "blocking", exits=BAD),
    _c("tag-unknown-tier", "tag", "ex-01", "--tier", "gold", exits=BAD),
    _c("tag-tier-sql", "tag", "ex-01", "--tier", "m' OR 1=1 --", exits=BAD),
    _c("tag-unknown-scenario", "tag", "ex-01", "--scenario", "nosuch", exits=BAD),
    _c("tag-scenario-sql", "tag", "ex-01", "--scenario", "refund_request'); DROP TABLE examples; --", exits=BAD),
    _c("tag-unknown-edge-case", "tag", "ex-01", "--edge-case", "tpyo", exits=BAD),
    # add
    _c("add-empty-input", "add", "", exits=BAD),
    _c("add-whitespace-input", "add", "  \t ", exits=BAD),
    _c("add-id-with-space", "add", "text", "--id", "has space", exits=BAD),
    _c("add-id-dotdot", "add", "text", "--id", "../x", exits=BAD),
    _c("add-id-leading-dot", "add", "text", "--id", ".hidden", exits=BAD),
    _c("add-id-300-chars", "add", "text", "--id", ID_300, exits=BAD),
    _c("add-existing-id-other-content", "add", "something else", "--id", "ex-01", exits=BAD),
    _c("add-metadata-array", "add", "text", "--metadata", "[]", exits=BAD),
    _c("add-metadata-nan", "add", "text", "--metadata", '{"x": NaN}', exits=BAD),
    _c("add-unknown-scenario", "add", "text", "--scenario", "nosuch", exits=BAD),
    _c("add-tier-sql", "add", "text", "--tier", "m' OR 1=1 --", exits=BAD),
    _c("add-status-bogus", "add", "text", "--status", "published", exits=USAGE),
    _c("add-format-xml", "add", "text", "--format", "xml", exits=USAGE),
    _c("add-input-2mb", "add", BIG, exits=BAD),
    _c("add-input-lone-surrogate", "add", f"bad {SURROGATE} text", exits=BAD),
    # the taxonomy (spec edits: refused with exit 3, file untouched)
    _c("scenario-add-id-with-tab", "scenario", "add", "bad\tid", "--priority", "P0", exits=BAD),
    _c("scenario-add-id-zero-width", "scenario", "add", "x\u200by", "--priority", "P0", exits=BAD),
    _c("scenario-add-300-char-id", "scenario", "add", ID_300, "--priority", "P0", exits=BAD),
    _c("scenario-add-priority-p9", "scenario", "add", "newone", "--priority", "P9", exits=USAGE),
    _c("scenario-add-without-priority", "scenario", "add", "newone", exits=USAGE),
    _c("scenario-add-existing", "scenario", "add", "refund_request", "--priority", "P0", exits=FLAG),
    _c("scenario-add-unknown-required-edge-case", "scenario", "add", "newone", "--priority", "P0",
       "--require-edge-case", "nosuch", exits=BAD),
    _c("scenario-add-fresh-share-2", "scenario", "add", "newone", "--priority", "P0", "--min-fresh-share", "2", exits=USAGE),
    _c("scenario-add-min-examples-negative", "scenario", "add", "newone", "--priority", "P0", "--min-examples", "-1", exits=USAGE),
    _c("scenario-show-unknown", "scenario", "show", "nosuch", exits=BAD),
    _c("scenario-edit-unknown", "scenario", "edit", "nosuch", "--priority", "P1", exits=BAD),
    _c("scenario-remove-unknown", "scenario", "remove", "nosuch", exits=BAD),
    _c("scenario-remove-in-use", "scenario", "remove", "refund_request", exits=FLAG),
    _c("edge-case-add-id-with-newline", "edge-case", "add", "bad\nid", exits=BAD),
    _c("edge-case-add-id-leading-space", "edge-case", "add", " padded", exits=BAD),
    _c("edge-case-add-existing", "edge-case", "add", "typo", exits=FLAG),
    _c("edge-case-remove-unknown", "edge-case", "remove", "nosuch", exits=BAD),
    _c("edge-case-remove-in-use", "edge-case", "remove", "typo", exits=FLAG),
    # refusals by role: exit 4, at most one audit line with "allowed": false
    _c("role-research-approves", "review", "ex-01", "--approve", exits=PERM, user=RESEARCH),
    _c("role-research-sets-tier", "tag", "ex-01", "--tier", "blocking", exits=PERM, user=RESEARCH),
    _c("role-research-imports-approved", "import", "@GOOD@", "--status", "approved", exits=PERM, user=RESEARCH),
    _c("role-pm-imports", "import", "@GOOD@", exits=PERM, user=PM),
    _c("role-pm-tags-edge-case", "tag", "ex-01", "--edge-case", "typo", exits=PERM, user=PM),
    _c("role-nobody-removes", "remove", "ex-01", exits=PERM, user=NOBODY),
    _c("role-nobody-edits", "edit", "ex-01", "--expected", "x", exits=PERM, user=NOBODY),
    _c("role-nobody-adds-scenario", "scenario", "add", "newone", "--priority", "P0", exits=PERM, user=NOBODY),
    _c("role-nobody-compacts", "compact", exits=PERM, user=NOBODY),
    _c("role-sql-user-name", "remove", "ex-01", exits=PERM, user="x' OR 1=1 --@example.com"),
    _c("role-user-name-with-newline", "remove", "ex-01", exits=PERM, user='evil\n{"allowed": true, "op": "remove"}'),
]

ARGV += [_c(f"query-{name}", "query", sql, exits=BAD) for name, sql in QUERY_SQL.items()]
ARGV += [
    _c(f"where-{verb}-{name}", *WHERE_VERBS[verb][:1], "--where", expr, *WHERE_VERBS[verb][1:], exits=BAD)
    for name, expr in WHERE_SQL.items()
    for verb in WHERE_VERBS
    if verb == "list" or name in WHERE_ON_ALL_VERBS
]


# -- spec documents ------------------------------------------------------------------------------


def _alias_bomb(levels: int = 9) -> str:
    lines = ["version: 1", "datasets:", "  support-bot:", "    edge_cases:",
             "      a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"      a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _sub(old: str, new: str) -> str:
    assert old in SEED_SPEC, old
    return SEED_SPEC.replace(old, new, 1)


SPEC_DOCS: dict[str, str | bytes] = {
    "not-yaml": "version: 1\ndatasets: {support-bot: [unclosed\n  : : :\n",
    "tab-indented": "version: 1\ndatasets:\n\tsupport-bot: {}\n",
    "yaml-list": "- version: 1\n- datasets: {}\n",
    "yaml-scalar": "goldset\n",
    "empty-file": "",
    "only-comments": "# nothing here yet\n",
    "directory": DIRECTORY,
    "latin-1": _sub("description: test set", "description: café").encode("latin-1"),
    "utf-16": SEED_SPEC.encode("utf-16"),
    "duplicate-keys": SEED_SPEC + "default_dataset: support-bot\n",
    "unknown-top-level-key": SEED_SPEC + "colour: blue\n",
    "unknown-dataset-key": _sub("    tiers:", "    tierz: [a]\n    tiers:"),
    "unknown-scenario-key": _sub("priority: P0, group", "priority: P0, prio: P1, group"),
    "version-2": _sub("version: 1", "version: 2"),
    "datasets-is-a-list": "version: 1\ndatasets: [support-bot]\n",
    "dataset-name-dotdot": "version: 1\ndefault_dataset: ../x\ndatasets:\n  ../x: {}\n",
    "default-dataset-missing": _sub("default_dataset: support-bot", "default_dataset: nosuch"),
    "priority-p9": _sub("priority: P2", "priority: P9"),
    "tier-with-quote": _sub("tiers: [blocking, standard, monitor]", "tiers: [blocking, \"stand'ard\", monitor]"),
    "tier-sql": _sub("tiers: [blocking, standard, monitor]",
                     "tiers: [blocking, standard, monitor, \"m' || (SELECT content FROM read_text('/etc/passwd')) || '\"]"),
    "tiers-empty": _sub("tiers: [blocking, standard, monitor]", "tiers: []"),
    "tiers-repeated": _sub("tiers: [blocking, standard, monitor]", "tiers: [blocking, standard, monitor, standard]"),
    "default-tier-unknown": _sub("default_tier: standard", "default_tier: gold"),
    "count-status-bogus": _sub("count_status: [approved]", "count_status: [published]"),
    "alias-bomb-9-levels": _alias_bomb(),
    "recursive-alias": "version: 1\ndatasets:\n  support-bot: &d\n    scenarios: {s: *d}\n",
    "max-review-age-1e20": _sub("max_review_age_days: 180", "max_review_age_days: 1e20"),
    "max-review-age-zero": _sub("max_review_age_days: 180", "max_review_age_days: 0"),
    "max-review-age-text": _sub("max_review_age_days: 180", "max_review_age_days: soon"),
    # Ids are labels as published (quotes, spaces, SQL-looking text are data: test_spec_safety);
    # control and invisible characters are not.
    "scenario-id-with-tab": _sub("greeting:", "\"greet\\ting\":"),
    "scenario-id-bidi": _sub("      greeting:", "      \"x\\u202Ey\": {priority: P2}\n      greeting:"),
    "edge-case-id-zero-width": _sub("typo: Misspellings", "\"ty\\u200bpo\": Misspellings"),
    "required-edge-case-missing": _sub("owner: pm@example.com}", "owner: pm@example.com, requirements: {required_edge_cases: [nosuch]}}"),
    "min-per-tier-unknown-tier": _sub("P1: {min_examples: 2}", "P1: {min_examples: 2, min_per_tier: {gold: 1}}"),
    "min-fresh-share-2": _sub("P1: {min_examples: 2}", "P1: {min_examples: 2, min_fresh_share: 2}"),
    "roles-unknown-role": _sub(f"{PM}: pm}}", f"{PM}: pm, ops@example.com: superuser}}"),
    "roles-is-a-list": _sub(f"roles: {{{ADMIN}: admin, {RESEARCH}: research, {PM}: pm}}", f"roles: [{ADMIN}]"),
    "pii-bad-regex": SEED_SPEC + "    pii: {patterns: {broken: '(['}}\n",
    "query-memory-limit-bogus": SEED_SPEC + "    query: {memory_limit: lots}\n",
}

#: Every command must refuse a bad spec the same way: exit 5, one line.
SPEC_COMMANDS: dict[str, tuple[str, ...]] = {"stats": ("stats",), "list": ("list",), "import": ("import", "@GOOD@")}


def _spec_cases() -> list[Case]:
    return [Case(f"spec:{name}:{verb}", argv, WS, spec=doc, one_line=True)
            for name, doc in SPEC_DOCS.items() for verb, argv in SPEC_COMMANDS.items()]


# -- expectation suites and damaged stores ------------------------------------------------------

SUITE = f"expectations/{DATASET}.json"
_NOT_NULL = '{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}'
SUITE_DOCS: dict[str, bytes] = {
    "not-json": b"{not json",
    "empty-file": b"",
    "a-list": b"[]",
    "expectations-not-a-list": b'{"expectations": {}}',
    "item-not-an-object": b'{"expectations": [42]}',
    "item-without-type": b'{"expectations": [{"kwargs": {"column": "id"}}]}',
    "kwargs-not-an-object": b'{"expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": []}]}',
    "severity-fatal": ('{"expectations": [' + _NOT_NULL + ', "meta": {"severity": "fatal"}}]}').encode(),
    "nested-2000": ('{"expectations": [' + _NOT_NULL + ', "meta": ' + '{"a": ' * 2000 + "1" + "}" * 2000 + "}]}").encode(),
    "utf-16": ('{"expectations": [' + _NOT_NULL + "}]}").encode("utf-16"),
    "latin-1": ('{"expectations": [' + _NOT_NULL + ', "meta": {"notes": "café"}}]}').encode("latin-1"),
}
SUITE_COMMANDS: dict[str, tuple[str, ...]] = {"validate": ("validate",), "generate": ("expectations", "generate")}

PARTS = f"datasets/{DATASET}/part-*.parquet"
MANIFEST = f"datasets/{DATASET}/_manifest.json"


def _manifest_edit(**changes: object) -> Callable[[bytes], bytes]:
    def edit(old: bytes) -> bytes:
        data = json.loads(old)
        for key, value in changes.items():
            if key == "part_name":
                data["parts"][0]["name"] = value
            else:
                data[key] = value
        return json.dumps(data).encode()

    return edit


STORE_DAMAGE: dict[str, tuple[tuple[str, Plant], ...]] = {
    "manifest-truncated": ((MANIFEST, lambda b: b[: len(b) // 2]),),
    "manifest-not-json": ((MANIFEST, b"garbage"),),
    "manifest-empty": ((MANIFEST, b""),),
    "manifest-a-list": ((MANIFEST, b"[]"),),
    "manifest-format-99": ((MANIFEST, _manifest_edit(format=99)),),
    "manifest-part-outside-the-store": ((MANIFEST, _manifest_edit(part_name="../../../../../../etc/passwd")),),
    "part-missing": ((PARTS, None),),
    "part-garbage": ((PARTS, b"garbage, not parquet"),),
    "part-truncated": ((PARTS, lambda b: b[: len(b) // 2]),),
    "part-scrambled-same-size": ((PARTS, lambda b: b[::-1]),),
}
STORE_COMMANDS: dict[str, tuple[str, ...]] = {"stats": ("stats",), "list": ("list",), "import": ("import", "@GOOD@")}


def _planted_cases() -> list[Case]:
    out = [Case(f"suite:{name}:{verb}", argv, WS, plant=((SUITE, doc),))
           for name, doc in SUITE_DOCS.items() for verb, argv in SUITE_COMMANDS.items()]
    out += [Case(f"store:{name}:{verb}", argv, STORE, plant=plant)
            for name, plant in STORE_DAMAGE.items() for verb, argv in STORE_COMMANDS.items()]
    return out


CASES: list[Case] = _file_cases() + ARGV + _spec_cases() + _planted_cases()


def test_corpus_is_big_and_names_are_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert len(CASES) >= 100
    assert all(c.exits <= DOCUMENTED for c in CASES)
    assert all(0 not in c.exits or c.accepted for c in CASES)


# -- running one case ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the seed spec and 20 rows (no git/DVC), built once for the module."""
    root = tmp_path_factory.mktemp("fuzz-seed") / "ws"
    root.mkdir()
    write_spec(root, SEED_SPEC)
    with identity_env():
        ds = Workspace.open(root).dataset()
        ds.store.create()
        add(ds, SEED_ROWS)
    return root


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzz-generated")
    for name, (make, *_rest) in GENERATED.items():
        (d / name).write_bytes(make())
    return d


def _audit_path(root: Path) -> Path:
    return root / "datasets" / f"{DATASET}.audit.jsonl"


def _state(root: Path) -> dict[str, object]:
    """Every file under datasets/ and expectations/ (lock files and the audit log aside), and
    goldset.yaml."""
    out: dict[str, object] = {}
    audit = _audit_path(root)
    for top in ("datasets", "expectations"):
        for p in sorted((root / top).rglob("*")):
            if p.is_file() and not p.name.endswith(".lock") and p != audit:
                out[str(p.relative_to(root))] = p.read_bytes()
            elif p.is_dir():
                out[str(p.relative_to(root)) + "/"] = None
    spec = root / "goldset.yaml"
    if spec.is_dir():
        out["goldset.yaml/"] = sorted(p.name for p in spec.iterdir())
    elif spec.exists():
        out["goldset.yaml"] = spec.read_bytes()
    return out


def _diff(before: dict[str, object], after: dict[str, object]) -> str:
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    parts = [f"{what}: {', '.join(keys)}" for what, keys in (
        ("removed", sorted(before.keys() - after.keys())), ("added", sorted(after.keys() - before.keys())),
        ("changed", changed)) if keys]
    return "; ".join(parts)


def _audit_problems(old: bytes, new: bytes) -> list[str]:
    if not new.startswith(old):
        return ["audit log rewritten (old bytes are not a prefix of the new)"]
    lines = new[len(old):].decode("utf-8", "replace").splitlines()
    problems = []
    if len(lines) > 1:
        problems.append(f"audit log grew by {len(lines)} lines (at most one refusal line)")
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(f"audit log: new line is not JSON: {line[:80]!r}")
            continue
        if not isinstance(entry, dict) or entry.get("allowed") is not False:
            problems.append(f"audit log: new line without \"allowed\": false: {line[:120]!r}")
    return problems


def _where_raised(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/goldset/" in f.filename.replace("\\", "/")]
    frame = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case: Case, seeded: Path, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(seeded, ws, symlinks=True)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    if case.spec == DIRECTORY:
        (ws / "goldset.yaml").unlink()
        (ws / "goldset.yaml").mkdir()
    elif isinstance(case.spec, bytes):
        (ws / "goldset.yaml").write_bytes(case.spec)
    elif case.spec is not None:
        write_spec(ws, case.spec)
    for pattern, what in case.plant:
        targets = sorted(ws.glob(pattern)) or [ws / pattern]
        for target in targets:
            if what is None:
                target.unlink()
            elif isinstance(what, bytes):
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(what)
            else:
                target.write_bytes(what(target.read_bytes()))
    if case.user is not None:
        monkeypatch.setenv("GOLDSET_USER", case.user)
    monkeypatch.chdir(scratch)  # never the repository's own workspace

    subs = {"@WS@": str(ws), "@TMP@": str(scratch), "@FILES@": str(FILES), "@TRAFFIC@": str(TRAFFIC),
            "@GEN@": str(generated), "@GOOD@": str(GOOD)}

    def sub(arg: str) -> str:
        for k, v in subs.items():
            arg = arg.replace(k, v)
        return arg

    argv = [sub(a) for a in case.argv]
    if "-C" not in argv:
        argv = ["-C", str(ws), *argv]
    before, audit_before = _state(ws), _audit_path(ws).read_bytes()

    try:
        r = cli.invoke(*argv)
    except Exception as exc:  # the point: nothing may escape main()
        pytest.fail(f"uncaught {type(exc).__name__} at {_where_raised(exc)}: {_first_line(str(exc))[:300]}", pytrace=False)

    problems: list[str] = []
    out, err = r.stdout, r.stderr
    message = _first_line(err)[:300] or _first_line(out)[:300]
    if "Traceback" in out + err:
        tb = err if "Traceback" in err else out
        last = [line for line in tb[tb.index("Traceback"):].splitlines() if line and not line.startswith(" ")]
        problems.append(f"traceback in output: {last[-1][:300] if last else ''}")
    if r.exit_code not in case.exits:
        problems.append(f"exit {r.exit_code} (expected {'/'.join(map(str, sorted(case.exits)))}): {message}")
    if case.one_line:
        lines = err.strip().splitlines()
        if len(lines) != 1 or not lines[0].startswith("error: "):
            problems.append(f"stderr is {len(lines)} line(s), not one 'error: ...' line: {err.strip()[:200]!r}")
    elif r.exit_code != 0:
        # docs/cli.md: "An error is one line on stderr (error: ...), followed by up to 50
        # offending rows or items".
        lines = err.strip("\n").split("\n")
        items = lines[1:]
        if not lines[0].startswith("error: ") or any(not line.startswith("  ") for line in items) or len(items) > 50:
            problems.append(f"stderr is not one 'error: ...' line and up to 50 indented items: {err.strip()[:200]!r}")
    if not (case.accepted and r.exit_code == 0):
        after = _state(ws)
        if after != before:
            problems.append(f"workspace changed ({_diff(before, after)})")
        problems += _audit_problems(audit_before, _audit_path(ws).read_bytes())
    elif not _audit_path(ws).read_bytes().startswith(audit_before):
        problems.append("audit log rewritten (old bytes are not a prefix of the new)")
    leaks = sorted(p.name for p in scratch.iterdir() if p.name.startswith("leak"))
    if leaks:
        problems.append(f"files written outside the workspace: {leaks}")
    assert not problems, " | ".join(problems)
