"""The spec (``goldset.yaml``): pydantic models, loading, and errors that name file and key.

Short forms are accepted where they read naturally: an edge-case catalogue may be a list of
ids; a scenario may be just its priority (``refund_request: P0``).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from goldset.errors import SpecError, WorkspaceError
from goldset.spec._launch import LaunchBar, Scoring
from goldset.store import predicate
from goldset.vocab import Priority, Role, Status, unknown_message

SPEC_FILE = "goldset.yaml"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: Tier ids: short words (they name columns of reports).
_TAXON_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_ID_RULE = "ids use letters, digits, '_', '.', ':', '-' (at most 128, starting with a letter or digit)"
#: Scenario and edge-case ids are labels as published datasets spell them
#: (``reverted_card_payment?``, ``Card payment - wrong amount``): any text of 1-128 characters
#: without control or invisible formatting characters (which could make two ids look alike)
#: and without leading or trailing spaces. They reach SQL only as bound parameters or escaped
#: literals, and pages only escaped.
_LABEL_RULE = ("ids are 1-128 characters without control or invisible formatting characters, "
               "and do not start or end with a space")


def valid_label(value: str) -> bool:
    """Whether ``value`` can be a scenario or edge-case id (see ``_LABEL_RULE``)."""
    import unicodedata

    return (0 < len(value) <= 128 and value == value.strip()
            and not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value))
#: Nodes YAML aliases may add to the spec by repeating an anchored value. An "alias bomb" (9
#: levels of 9 aliases: 387 million nodes from a few lines) is refused before anything walks it.
MAX_ALIAS_EXPANSION = 10_000


def check_dataset_name(name: str) -> str:
    """Dataset names become directory names: refuse anything that could escape ``datasets/``."""
    if not _NAME_RE.match(name):
        raise WorkspaceError(
            f"invalid dataset name {name!r}: use lower-case letters, digits, '-' and '_' "
            "(at most 64, starting with a letter or digit)"
        )
    return name


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Requirements(_Model):
    """What a scenario needs before launch. Unset fields ask nothing."""

    min_examples: int | None = Field(default=None, ge=0)
    min_negatives: int | None = Field(default=None, ge=0)
    min_edge_case_examples: int | None = Field(default=None, ge=0)
    required_edge_cases: list[str] = Field(default_factory=list)
    min_per_tier: dict[str, int] = Field(default_factory=dict)
    min_fresh_share: float | None = Field(default=None, ge=0, le=1)

    def merged_over(self, base: Requirements | None) -> Requirements:
        """This scenario's own values win; unset ones fall back to ``base`` (the priority's)."""
        if base is None:
            return self
        data = base.model_dump()
        for key in self.model_fields_set:
            data[key] = getattr(self, key)
        return Requirements(**data)


class Scenario(_Model):
    description: str = ""
    priority: Priority = "P2"
    group: str | None = None
    owner: str | None = None
    requirements: Requirements | None = None


class Freshness(_Model):
    #: At most 100 years: a review older than that is no review (and dates stay in range).
    max_review_age_days: int = Field(default=365, gt=0, le=36500)
    #: Share of counted examples that must be fresh for blocking scenarios (validation).
    min_fresh_share: float | None = Field(default=None, ge=0, le=1)


class Gate(_Model):
    blocking_priorities: list[Priority] = Field(default_factory=lambda: list[Priority](["P0"]))


class Review(_Model):
    require_distinct_reviewer: bool = False


class Pii(_Model):
    """PII checks of validation: built-in kinds (email, phone, card, iban, ssn), each found by a
    pattern and then *validated* (a card's Luhn digit, an IBAN's checksum, a phone number parsed
    for its region, an SSN's reserved ranges), so a hit is real and the default severity is
    error. Patterns are overridden or extended by name here (a null pattern turns a built-in
    off; a pattern of your own is trusted as it is). ``exempt_edge_cases``: examples tagged with
    one of these hold PII on purpose (a test of how the model handles it) and are not flagged."""

    severity: Literal["warning", "error"] = "error"
    patterns: dict[str, str | None] = Field(default_factory=dict)
    #: Regions a phone number without a +country code is parsed for (ISO 3166 codes).
    phone_regions: list[str] = Field(default_factory=lambda: ["US"])
    exempt_edge_cases: list[str] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, v: dict[str, str | None]) -> dict[str, str | None]:
        for name, pattern in v.items():
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{name!r} is not a valid regular expression: {exc}") from None
        return v


class QueryLimits(_Model):
    """Limits of ``goldset query`` and ``--where`` predicates; flags override them per run.
    ``null`` turns a limit off."""

    timeout_s: float | None = Field(default=predicate.DEFAULT_TIMEOUT_S, gt=0)
    memory_limit: str | None = predicate.DEFAULT_MEMORY_LIMIT

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, v: str | None) -> str | None:
        if v is not None:
            predicate.parse_size(v)  # ValueError: pydantic names the key
        return v

    def resolve(self, timeout_s: float | None = None, memory_limit: str | None = None) -> predicate.Limits:
        """The limits of one run: a flag given (``--timeout``, ``--memory-limit``) wins."""
        return predicate.Limits(
            timeout_s=self.timeout_s if timeout_s is None else timeout_s,
            memory_limit=self.memory_limit if memory_limit is None else memory_limit,
        )


#: How the near-duplicate and leakage checks cut an input into shingles (``goldset.hygiene``).
Shingles = Literal["word", "char"]
#: Which pairs the near-duplicate check compares: those sharing a scenario, or all of them.
DupeScope = Literal["within", "across-scenarios"]


class NearDuplicates(_Model):
    """The near-duplicate check of validation (``goldset dupes`` with these settings): examples
    whose inputs' shingle sets have a Jaccard similarity of at least ``threshold``."""

    threshold: float = Field(default=0.9, gt=0, le=1)
    severity: Literal["warning", "error"] = "warning"
    scope: DupeScope = "across-scenarios"
    shingles: Shingles = "word"


class Leakage(_Model):
    """Training data no golden input may appear in (``goldset leakage``, validation, ``goldset
    check``): JSONL, CSV or Parquet files or directories, relative to the workspace."""

    train: list[str] = Field(min_length=1)
    column: str = Field(default="text", min_length=1)
    threshold: float = Field(default=0.9, gt=0, le=1)
    shingles: Shingles = "word"
    #: Tiers whose examples must not appear in the training data: the check's error (else a
    #: warning for any example found).
    fail_on_tiers: list[str] = Field(default_factory=list)

    @field_validator("train")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        if any(not p.strip() for p in v):
            raise ValueError("a training data path is empty")
        return v


class DatasetSpec(_Model):
    description: str = ""
    tiers: list[str] = Field(default_factory=lambda: ["blocking", "standard", "monitor"])
    default_tier: str | None = None
    count_status: list[Status] = Field(default_factory=lambda: list[Status](["approved"]))
    freshness: Freshness = Field(default_factory=Freshness)
    gate: Gate = Field(default_factory=Gate)
    review: Review = Field(default_factory=Review)
    edge_cases: dict[str, str] = Field(default_factory=dict)
    requirements: dict[Priority, Requirements] = Field(default_factory=dict)
    scenarios: dict[str, Scenario] = Field(default_factory=dict)
    roles: dict[str, Role] = Field(default_factory=dict)
    pii: Pii = Field(default_factory=Pii)
    query: QueryLimits = Field(default_factory=QueryLimits)
    near_duplicates: NearDuplicates | None = None
    leakage: Leakage | None = None
    #: How a model run's outputs are scored, and the bar a run must meet (goldset.runs).
    scoring: Scoring = Field(default_factory=Scoring)
    launch_bar: LaunchBar = Field(default_factory=LaunchBar)

    @field_validator("edge_cases", mode="before")
    @classmethod
    def _edge_case_list(cls, v: Any) -> Any:
        if isinstance(v, list):
            return {str(x): "" for x in v}
        if isinstance(v, dict):
            return {k: ("" if d is None else d) for k, d in v.items()}
        return v

    @field_validator("scenarios", mode="before")
    @classmethod
    def _scenario_short(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ({"priority": s} if isinstance(s, str) else s or {}) for k, s in v.items()}
        return v

    @model_validator(mode="after")
    def _consistent(self) -> DatasetSpec:
        if not self.tiers:
            raise ValueError("tiers: at least one tier is needed")
        for i, tier in enumerate(self.tiers):
            if not _TAXON_RE.match(tier):
                raise ValueError(f"tiers.{i}: {_shown(tier)} is not a valid tier: {_ID_RULE}")
        if len(set(self.tiers)) != len(self.tiers):
            raise ValueError("tiers: a tier is listed twice")
        if self.default_tier is not None and self.default_tier not in self.tiers:
            raise ValueError(f"default_tier: {_shown(self.default_tier)} is not one of tiers {self.tiers}")
        if self.leakage is not None and (bad := [t for t in self.leakage.fail_on_tiers if t not in self.tiers]):
            raise ValueError(unknown_message("tier", bad, self.tiers, "leakage.fail_on_tiers"))
        for path, keys, known, kind in (
            ("launch_bar.tiers", self.launch_bar.tiers, self.tiers, "tier"),
            ("launch_bar.scenarios", self.launch_bar.scenarios, self.scenarios, "scenario"),
            ("scoring.scenarios", self.scoring.scenarios, self.scenarios, "scenario"),
        ):
            if bad := [k for k in keys if k not in known]:
                raise ValueError(unknown_message(kind, bad, known, path))
        for kind, ids in (("scenarios", self.scenarios), ("edge_cases", self.edge_cases)):
            for key in ids:
                if not isinstance(key, str) or not valid_label(key):
                    raise ValueError(f"{kind}.{_shown(key)}: {_LABEL_RULE}")
        where: list[tuple[str, Requirements]] = [
            (f"requirements.{p}", r) for p, r in self.requirements.items()
        ]
        where += [
            (f"scenarios.{k}.requirements", s.requirements)
            for k, s in self.scenarios.items()
            if s.requirements is not None
        ]
        for path, req in where:
            # ValueError, not require_known's BadInput: pydantic turns it into a SpecError line.
            bad = [e for e in req.required_edge_cases if e not in self.edge_cases]
            if bad:
                raise ValueError(unknown_message("edge case", bad, self.edge_cases, f"{path}.required_edge_cases"))
            bad = [t for t in req.min_per_tier if t not in self.tiers]
            if bad:
                raise ValueError(unknown_message("tier", bad, self.tiers, f"{path}.min_per_tier"))
        return self

    @property
    def tier_default(self) -> str:
        """The tier a new example gets: ``default_tier``, else the least strict tier."""
        return self.default_tier or self.tiers[-1]

    def requirements_for(self, scenario_id: str) -> Requirements:
        """Scenario's own requirements > its priority's defaults > none."""
        sc = self.scenarios[scenario_id]
        base = self.requirements.get(sc.priority)
        if sc.requirements is None:
            return base or Requirements()
        return sc.requirements.merged_over(base)


class Spec(_Model):
    version: Literal[1] = 1
    default_dataset: str | None = None
    datasets: dict[str, DatasetSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names(self) -> Spec:
        for name in self.datasets:
            if not _NAME_RE.match(name):
                raise ValueError(f"datasets.{name}: invalid dataset name")
        if self.default_dataset is not None and self.default_dataset not in self.datasets:
            raise ValueError(
                f"default_dataset: {self.default_dataset!r} is not under datasets "
                f"({', '.join(self.datasets) or 'none defined'})"
            )
        return self

    def dataset_name(self, requested: str | None) -> str:
        """Resolve ``--dataset``: explicit, else default_dataset, else the only one."""
        if requested is not None:
            check_dataset_name(requested)
            if requested not in self.datasets:
                raise WorkspaceError(
                    f"unknown dataset {requested!r} (defined: {', '.join(self.datasets) or 'none'}); "
                    "add it under 'datasets:' in goldset.yaml"
                )
            return requested
        if self.default_dataset:
            return self.default_dataset
        if len(self.datasets) == 1:
            return next(iter(self.datasets))
        if not self.datasets:
            raise WorkspaceError("goldset.yaml defines no dataset; add one under 'datasets:'")
        raise WorkspaceError(
            f"several datasets ({', '.join(self.datasets)}): pick one with --dataset or set "
            "default_dataset in goldset.yaml"
        )


def _shown(value: str, chars: int = 60) -> str:
    """A value from the spec in a one-line message: quoted, escaped, cut short."""
    text = repr(value)
    return text if len(text) <= chars else text[: chars - 4] + "...'"


def _path(path: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def check_aliases(data: Any, source: str) -> None:
    """Refuse YAML aliases that expand the spec by more than :data:`MAX_ALIAS_EXPANSION`
    nodes, or that refer to themselves. YAML loaders share an aliased value instead of copying
    it, so loading a bomb is cheap; walking it (validation, ``str()``) is not. Linear in the
    size of the file: each distinct mapping or list is walked once."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    extra = 0

    def size(node: Any, path: tuple[int | str, ...]) -> int:
        nonlocal extra
        if not isinstance(node, dict | list):
            return 1
        key = id(node)
        if key in active:
            raise SpecError(f"{source}: {_path(path) or 'top level'}: a YAML alias refers to a value that "
                            "contains it (a recursive anchor); write the value out")
        if key in sizes:  # an alias: the value again, in full
            extra += sizes[key]
            if extra > MAX_ALIAS_EXPANSION:
                raise SpecError(
                    f"{source}: {_path(path) or 'top level'}: YAML aliases expand the spec by more than "
                    f"{MAX_ALIAS_EXPANSION:,} values (an alias bomb?); write the values out instead of "
                    "repeating anchors"
                )
            return sizes[key]
        active.add(key)
        if isinstance(node, dict):
            n = 1 + sum(size(k, path) + size(v, (*path, k if isinstance(k, int | str) else str(k))) for k, v in node.items())
        else:
            n = 1 + sum(size(v, (*path, i)) for i, v in enumerate(node))
        active.discard(key)
        sizes[key] = n
        return n

    size(data, ())


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith("function-after"))


def yaml_error_line(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)


def parse_spec(data: Any, source: str) -> Spec:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(f"{source}: the top level must be a mapping (version, datasets, ...)")
    check_aliases(data, source)
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _loc(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise SpecError(f"{source}: {loc + ': ' if loc else ''}{msg}{more}") from exc


#: Specs parsed in this process, by path and content hash (a server reads the spec on every
#: request: parsing a 150-scenario spec costs ~25 ms, a hash of its bytes microseconds).
_PARSED: dict[tuple[str, str], Spec] = {}
_PARSED_MAX = 16
_PARSED_LOCK = threading.Lock()


def load_spec(path: Path) -> Spec:
    """Read and validate goldset.yaml. Every failure is one line naming the file and key.
    The same bytes are parsed once per process; each caller gets its own copy."""
    import hashlib

    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise WorkspaceError(f"{path}: not found; run 'goldset init' to create a workspace") from None
    key = (str(path), hashlib.sha256(raw).hexdigest())
    with _PARSED_LOCK:
        known = _PARSED.get(key)
    if known is not None:
        return known.model_copy(deep=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text") from None
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise SpecError(f"{path}: invalid YAML at {yaml_error_line(exc)}") from None
    spec = parse_spec(data, str(path))
    with _PARSED_LOCK:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = spec.model_copy(deep=True)
    return spec
