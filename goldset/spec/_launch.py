"""The spec's part about model runs: how a run's outputs are scored (``scoring:``) and the
launch bar a run must meet (``launch_bar:``). Read by :mod:`goldset.runs`.

Both follow the requirements' pattern: a dataset-wide default, refined per priority or tier,
overridden per scenario; a value set nearer the scenario wins, an unset one falls back.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from goldset.vocab import Priority

#: The scorers goldset runs itself (in DuckDB); anything else must be ``module:function``.
BUILTIN_METHODS = ("exact", "normalized", "label", "contains", "regex", "json", "numeric")
_CALLABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")
#: How ``expected`` reads on a negative example: the behaviour *required* (pass when the
#: output matches it: a refusal label) or the output *forbidden* (pass when it does not match:
#: TruthfulQA's incorrect answers).
NegativeMode = Literal["required", "forbidden"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    def merged_over(self, base: _Model | None) -> _Model:
        """Fields set on this one win; unset ones come from ``base``."""
        if base is None:
            return self
        data = base.model_dump(exclude_unset=True)
        data.update(self.model_dump(exclude_unset=True))
        return type(self).model_validate(data)


class Scorer(_Model):
    """How one example's output is compared with its ``expected``."""

    #: A built-in (see BUILTIN_METHODS) or a Python callable ``package.module:function``
    #: (importable from the workspace), called as ``f(output, expected, example)`` and returning
    #: a bool (passed) or a number (a score, passed when >= ``pass_score``).
    method: str = "exact"
    negatives: NegativeMode = "required"
    #: ``contains``, ``regex``: compare ignoring case.
    ignore_case: bool = False
    #: ``label``: the separator of a multi-label value (a JSON array is read as labels too).
    separator: str = Field(default=",", min_length=1)
    #: ``json``: the keys whose values must be equal (default: every key of ``expected``).
    keys: list[str] | None = None
    #: ``numeric``: the largest accepted |output - expected|, and whether it is relative to
    #: |expected|.
    tolerance: float = Field(default=0.0, ge=0)
    relative: bool = False
    #: A row that arrives with a ``score`` but no ``passed`` (an LLM judge's 0-1 score), or a
    #: callable that returns a number, passes at this score or above.
    pass_score: float | None = None

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        if v not in BUILTIN_METHODS and not _CALLABLE_RE.match(v):
            raise ValueError(f"{v!r} is neither a built-in scorer ({', '.join(BUILTIN_METHODS)}) "
                             "nor a Python callable 'package.module:function'")
        return v


class Scoring(Scorer):
    """The dataset's scoring: the default scorer, and per scenario an override. An example in
    several scenarios that have overrides is scored by the override of the highest-priority one
    among them (then the first by id); scenarios without an override do not compete."""

    scenarios: dict[str, Scorer] = Field(default_factory=dict)

    def for_scenario(self, scenario: str | None) -> Scorer:
        base = Scorer.model_validate(self.model_dump(exclude={"scenarios"}, exclude_unset=True))
        own = self.scenarios.get(scenario) if scenario is not None else None
        return base if own is None else Scorer.model_validate(own.merged_over(base).model_dump())


class Bar(_Model):
    """What a scenario's (or a tier's) results must be before launch. Unset fields ask nothing."""

    min_pass_rate: float | None = Field(default=None, ge=0, le=1)
    #: Failures allowed at most. The first (strictest) tier's default is 0: unacceptable
    #: behaviour is unacceptable even when the average improves.
    max_failures: int | None = Field(default=None, ge=0)
    min_negative_pass_rate: float | None = Field(default=None, ge=0, le=1)
    max_p95_latency_ms: float | None = Field(default=None, gt=0)
    max_cost_per_1k_usd: float | None = Field(default=None, ge=0)
    #: Below this many counted examples the verdict is "not enough evidence", never a pass.
    min_examples_for_verdict: int | None = Field(default=None, ge=1)


#: The default of ``min_examples_for_verdict`` when no level sets it.
DEFAULT_MIN_EXAMPLES_FOR_VERDICT = 10


class LaunchBar(Bar):
    """``launch_bar:``: the defaults (its own fields), per priority, per tier, per scenario."""

    priorities: dict[Priority, Bar] = Field(default_factory=dict)
    tiers: dict[str, Bar] = Field(default_factory=dict)
    scenarios: dict[str, Bar] = Field(default_factory=dict)

    def _default(self) -> Bar:
        return Bar.model_validate(self.model_dump(exclude={"priorities", "tiers", "scenarios"}, exclude_unset=True))

    def for_scenario(self, scenario: str, priority: Priority) -> Bar:
        """Scenario override > its priority's bar > the defaults."""
        bar: Bar = self._default()
        for level in (self.priorities.get(priority), self.scenarios.get(scenario)):
            if level is not None:
                bar = Bar.model_validate(level.merged_over(bar).model_dump(exclude_unset=True))
        return bar

    def for_tier(self, tier: str, strictest: bool) -> Bar | None:
        """The tier's own bar (over every example of the tier); None when it has none. The
        strictest tier allows no failure unless its bar says otherwise. A tier's bar asks for
        a minimum of evidence only when it sets one itself: "no failure" needs no sample size."""
        own = self.tiers.get(tier)
        if own is None and not strictest:
            return None
        data = {} if own is None else own.model_dump(exclude_unset=True)
        if strictest:
            data.setdefault("max_failures", 0)
        return Bar.model_validate(data)
