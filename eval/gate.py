"""The CI gate: compare an eval report with the thresholds kept in ``eval/thresholds.toml``.

The file holds floors and ceilings, overall and per question type::

    [min]                       # overall: fail when a figure is below
    accuracy = 0.85
    [max]                       # overall: fail when a figure is above
    errors = 0
    [type.paraphrase.min]       # the same, for one question type
    accuracy = 0.60

A threshold whose figure was not measured in this run (a type the question set lacks, a rate with an
empty denominator, e.g. under ``--limit``) is skipped and listed as such, never silently passed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eval.aggregate import METRIC_NAMES, MetricSet
from eval.runner import EvalReport

DEFAULT_THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"

Bound = Literal["min", "max"]
_BOUNDS: tuple[Bound, ...] = ("min", "max")


class ThresholdError(ValueError):
    """A thresholds file that cannot be used: unreadable, unknown metric, not a number."""


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


def parse_thresholds(data: dict[str, Any], where: str = "thresholds") -> tuple[Threshold, ...]:
    """Rules from decoded TOML: ``[min]``/``[max]`` overall, ``[type.<name>.min]``/``.max`` per type."""
    unknown = sorted(set(data) - {"min", "max", "type"})
    if unknown:
        raise ThresholdError(
            f"{where}: unknown section(s) {', '.join(unknown)}; use min, max and type.<name>"
        )
    rules = _rules(data, "overall", where)
    types = data.get("type", {})
    if not isinstance(types, dict):
        raise ThresholdError(f"{where}: [type] must hold one table per question type")
    for type_name, table in types.items():
        if not isinstance(table, dict) or set(table) - {"min", "max"}:
            raise ThresholdError(f"{where}: [type.{type_name}] takes only min and max tables")
        rules.extend(_rules(table, type_name, where))
    return tuple(rules)


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> tuple[Threshold, ...]:
    """Read a thresholds TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThresholdError(f"{path}: cannot read thresholds ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdError(f"{path}: not valid TOML ({exc})") from exc
    return parse_thresholds(data, str(path))


def check(report: EvalReport, thresholds: tuple[Threshold, ...]) -> GateResult:
    """Compare the report's figures with every rule."""
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
