"""The CI gate: compare each suite's eval report with the thresholds kept in ``eval/thresholds.toml``.

The file holds floors and ceilings, overall and per question type, for every suite and for one suite::

    [max]                             # every suite: fail when a figure is above
    errors = 0
    [suites.rgb.min]                  # suite rgb: fail when a figure is below
    crag_score = 0.5
    [suites.seeds.type.paraphrase.min]  # suite seeds, one question type
    accuracy = 0.60

The top-level ``[min]``/``[max]``/``[type.<name>.*]`` tables apply to every suite (``custom`` too); the
``[suites.<name>.*]`` tables add the rules of one suite. A threshold whose figure was not measured in this
run (a type the question set lacks, a rate with an empty denominator, e.g. under ``--limit``) is skipped
and listed as such, never silently passed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from eval.aggregate import METRIC_NAMES, MetricSet
from eval.runner import EvalReport
from eval.suites import CUSTOM, DEFAULT_THRESHOLDS, SUITE_NAMES

Bound = Literal["min", "max"]
_BOUNDS: tuple[Bound, ...] = ("min", "max")


class ThresholdError(ValueError):
    """A thresholds file that cannot be used: unreadable, unknown metric or suite, not a number."""


@dataclass(frozen=True)
class Threshold:
    """One rule: ``metric`` of ``scope`` ("overall" or a question type) must stay within ``limit``."""

    scope: str
    metric: str
    bound: Bound
    limit: float

    def describe(self) -> str:
        """The rule in words, e.g. ``paraphrase accuracy >= 0.6``."""
        return f"{self.scope} {self.metric} {'>=' if self.bound == 'min' else '<='} {self.limit:g}"


@dataclass(frozen=True)
class Thresholds:
    """The rules of a thresholds file: those of every suite, and those of each named suite."""

    common: tuple[Threshold, ...] = ()
    suites: dict[str, tuple[Threshold, ...]] = field(default_factory=dict)

    def for_suite(self, name: str) -> tuple[Threshold, ...]:
        """The rules a run of suite ``name`` must keep: the common ones, then its own."""
        return self.common + self.suites.get(name, ())


@dataclass(frozen=True)
class GateFailure:
    """A rule the run broke and the figure it reached."""

    threshold: Threshold
    value: float

    def describe(self) -> str:
        """E.g. ``overall accuracy = 0.71, needs >= 0.8``."""
        rule = self.threshold
        sign = ">=" if rule.bound == "min" else "<="
        return f"{rule.scope} {rule.metric} = {self.value:.4g}, needs {sign} {rule.limit:g}"


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict: which rules failed and which could not be checked."""

    failures: tuple[GateFailure, ...]
    skipped: tuple[Threshold, ...]
    checked: int

    @property
    def passed(self) -> bool:
        """True when no rule failed."""
        return not self.failures


def _rules(table: Any, scope: str, where: str) -> list[Threshold]:
    rules: list[Threshold] = []
    for bound in _BOUNDS:
        section = table.get(bound, {})
        if not isinstance(section, dict):
            raise ThresholdError(f"{where}: [{bound}] must be a table of metric = number")
        for metric, limit in section.items():
            if metric not in METRIC_NAMES:
                raise ThresholdError(f"{where}: unknown metric {metric!r}; known: {', '.join(METRIC_NAMES)}")
            if isinstance(limit, bool) or not isinstance(limit, int | float):
                raise ThresholdError(f"{where}: {bound}.{metric} must be a number, got {limit!r}")
            rules.append(Threshold(scope=scope, metric=metric, bound=bound, limit=float(limit)))
    return rules


def _scoped_rules(data: dict[str, Any], where: str) -> list[Threshold]:
    """Rules of one table holding ``min``/``max`` (overall) and ``type.<name>.min``/``.max``."""
    rules = _rules(data, "overall", where)
    types = data.get("type", {})
    if not isinstance(types, dict):
        raise ThresholdError(f"{where}: [type] must hold one table per question type")
    for type_name, table in types.items():
        if not isinstance(table, dict) or set(table) - {"min", "max"}:
            raise ThresholdError(f"{where}: [type.{type_name}] takes only min and max tables")
        rules.extend(_rules(table, type_name, f"{where} [type.{type_name}]"))
    return rules


def parse_thresholds(
    data: dict[str, Any], where: str = "thresholds", known_suites: Iterable[str] = (*SUITE_NAMES, CUSTOM)
) -> Thresholds:
    """Rules from decoded TOML: common ``[min]``/``[max]``/``[type.*]``, and ``[suites.<name>.*]``."""
    unknown = sorted(set(data) - {"min", "max", "type", "suites"})
    if unknown:
        raise ThresholdError(
            f"{where}: unknown section(s) {', '.join(unknown)}; use min, max, type.<name> and suites.<name>"
        )
    suites = data.get("suites", {})
    if not isinstance(suites, dict):
        raise ThresholdError(f"{where}: [suites] must hold one table per suite")
    known = tuple(known_suites)
    per_suite: dict[str, tuple[Threshold, ...]] = {}
    for name, table in suites.items():
        if name not in known:
            raise ThresholdError(f"{where}: unknown suite {name!r}; known: {', '.join(known)}")
        if not isinstance(table, dict) or set(table) - {"min", "max", "type"}:
            raise ThresholdError(f"{where}: [suites.{name}] takes only min, max and type.<name> tables")
        per_suite[name] = tuple(_scoped_rules(table, f"{where} [suites.{name}]"))
    return Thresholds(common=tuple(_scoped_rules(data, where)), suites=per_suite)


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> Thresholds:
    """Read a thresholds TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThresholdError(f"{path}: cannot read thresholds ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdError(f"{path}: not valid TOML ({exc})") from exc
    return parse_thresholds(data, str(path))


def check(report: EvalReport, thresholds: Iterable[Threshold]) -> GateResult:
    """Compare one suite's figures with every rule."""
    thresholds = tuple(thresholds)
    failures: list[GateFailure] = []
    skipped: list[Threshold] = []
    for rule in thresholds:
        group: MetricSet | None = (
            report.overall if rule.scope == "overall" else report.by_type.get(rule.scope)
        )
        value = getattr(group, rule.metric) if group is not None else None
        if value is None:
            skipped.append(rule)
            continue
        broken = value < rule.limit if rule.bound == "min" else value > rule.limit
        if broken:
            failures.append(GateFailure(threshold=rule, value=float(value)))
    return GateResult(
        failures=tuple(failures), skipped=tuple(skipped), checked=len(thresholds) - len(skipped)
    )
