"""Day-to-day curation: tag, edit, review, remove, and the scenario and edge-case taxonomy.

Owns: bulk tagging by ids and/or ``--where`` (``_tag``), editing, updating and removing
examples by id (``_edit``), reviewing (``_review``), the rule that an edit of what was approved
goes back to draft (``_approval``), the taxonomy edits of ``goldset.yaml`` (``_taxonomy``), and the launch bar's (``_launch_bar``). Every write
goes through the write path of :mod:`goldset.workspace`.
"""

from __future__ import annotations

from goldset.curation._edit import edit, edit_texts, remove, update
from goldset.curation._launch_bar import BarResult, EffectiveBar, set_launch_bar, show_launch_bar
from goldset.curation._review import review
from goldset.curation._tag import TagChange, TagResult, tag
from goldset.curation._taxonomy import (
    ScenarioFields,
    ScenarioReport,
    TaxonomyResult,
    add_edge_case,
    add_scenario,
    edit_scenario,
    list_edge_cases,
    list_scenarios,
    remove_edge_case,
    remove_scenario,
    show_scenario,
)

__all__ = [
    "BarResult",
    "EffectiveBar",
    "ScenarioFields",
    "ScenarioReport",
    "TagChange",
    "TagResult",
    "TaxonomyResult",
    "add_edge_case",
    "add_scenario",
    "edit",
    "edit_scenario",
    "edit_texts",
    "list_edge_cases",
    "list_scenarios",
    "remove",
    "remove_edge_case",
    "remove_scenario",
    "review",
    "set_launch_bar",
    "show_launch_bar",
    "show_scenario",
    "tag",
    "update",
]
