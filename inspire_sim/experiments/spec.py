"""Experiment specifications: TOML -> validated :class:`ExperimentSpec`.

A spec is a TOML file, but it names code that runs: ``model`` (a function) and
``model_class`` (a model subclass) are imported and executed. Only a ``.py`` file or a
module of an installed package outside the standard library is accepted; read a spec
from someone else as you would read their code. Two routes:

* the INSPIRE model: ``scenario = "baseline"`` (a shipped scenario name or a path
  relative to the spec file), factors by dotted parameter name (bounds default to
  the parameter's ``sa_range`` from :mod:`inspire_sim.core.params`), outputs as
  ``indicator`` + ``statistic`` over the monthly time series; optionally
  ``model_class = "mypkg.models:MyModel"``, a subclass of
  :class:`~inspire_sim.core.model.InspireModel` to run instead of it;
* any model: ``model = "package.module:function"`` (or ``"file.py:function"``
  relative to the spec) taking a dict of parameters and returning a dict of scalar
  outputs (EMA Workbench style); factors then need explicit ``range`` or ``levels``.

Example::

    name = "policy_grid"
    scenario = "baseline"
    replications = 10
    seed = 20240611
    steps = 120
    [design]
    kind = "grid"                 # grid | lhs | sobol | morris
    [fixed]                       # parameters held at a value for every run
    n_smes = 1000
    [[factors]]
    name = "support_funding.budget_per_step"
    levels = [0, 75000000, 200000000]   # real EUR/month
    [[outputs]]
    indicator = "cooperating_share"
    statistic = "mean"            # final | mean | cumulative
    window = [61, 120]            # months, inclusive (mean / cumulative only)

Execution settings (``timeout``, ``max_memory``, ``batch``) may be given in the spec as defaults;
they are not part of its identity (:meth:`ExperimentSpec.identity`), so a store
resumes with other values. All checks are pydantic validators; every problem raises
:class:`~inspire_sim.errors.InputError`: one line naming the file, the field and the fix.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import itertools
import json
import math
import re
import sys
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..core.scenario import EXPERIMENT_DIR  # shipped specs: package data or checkout
from ..errors import InputError, unknown_key_fix
from ..levers import spec_by_name

DESIGNS = ("grid", "lhs", "sobol", "morris")
STATISTICS = ("final", "mean", "cumulative")
RESERVED_COLUMNS = ("run_id", "point_id", "replicate", "seed", "status", "error", "duration_s")
MIN_MEMORY = 256 * 2**20

SInt = Annotated[int, Strict()]
SBool = Annotated[bool, Strict()]
SStr = Annotated[str, Strict()]


class SpecProblem(ValueError):
    """Raised by a validator: a message, its fix, and the field (relative to the model
    being validated, or absolute when it starts with '/')."""

    def __init__(self, message: str, fix: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.fix, self.field = message, fix, field


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def parse_memory(value: Any, field: str = "max_memory") -> int | None:
    """``"512M"``, ``"2G"``, ``"1.5GB"`` or a number of bytes -> bytes (at least 256 MiB)."""
    if value is None:
        return None
    if _num(value):
        size = float(value)
    elif isinstance(value, str) and (m := re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]i?B?)\s*", value, re.I)):
        try:
            size = float(m.group(1)) * 1024 ** ("KMGT".index(m.group(2)[0].upper()) + 1)
        except ValueError:
            size = math.nan
    else:
        raise InputError(f"cannot read {value!r} as a memory size", field=field, fix='write e.g. "512M" or "2G"')
    if not math.isfinite(size) or size < MIN_MEMORY:
        raise InputError(
            f"{value!r} is below 256 MiB (a Python worker alone needs that much address space)",
            field=field,
            fix='write e.g. "2G"',
        )
    return int(size)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Factor(_Strict):
    """One varied parameter: ``levels`` (discrete) or a ``range`` (continuous)."""

    name: SStr = Field(min_length=1, description="Dotted parameter name, e.g. 'support_funding.grant_size'.")
    levels: list[float | int | str | bool] | None = Field(None, min_length=1, description="Discrete values.")
    range: tuple[float, float] | None = Field(None, description="[low, high]; default: the parameter's sa_range.")
    distribution: Literal["uniform", "loguniform", "triangular"] = Field("uniform", description="Over the range.")
    peak: float | None = Field(None, description="Mode of a triangular distribution (default: mid-range).")
    points: SInt | None = Field(None, ge=2, le=100_000, description="Grid: evenly spaced values over the range.")
    integer: SBool | None = Field(None, description="Round sampled values (default: as the parameter).")

    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, v: Any) -> Any:
        if not isinstance(v, list):
            return v
        kinds = {"bool" if isinstance(x, bool) else "number" if _num(x) else type(x).__name__ for x in v}
        if len(kinds) > 1:
            raise SpecProblem(
                f"levels mix {' and '.join(sorted(kinds))} values",
                "give levels of one type (numbers, true/false or strings)",
            )
        bad = [x for x in v if _num(x) and not math.isfinite(x)]
        if bad:
            raise SpecProblem(f"level {bad[0]} is not a finite number", "remove it")
        if kinds - {"bool", "number", "str"}:
            raise SpecProblem("levels must be numbers, true/false or strings", "write levels = [0.1, 0.5]")
        seen: set[Any] = set()
        for x in v:
            key = (type(x) is bool, x)
            if key in seen:
                raise SpecProblem(f"level {x!r} appears twice", "list each level once")
            seen.add(key)
        return v

    @field_validator("range", mode="before")
    @classmethod
    def _range(cls, v: Any) -> Any:
        if isinstance(v, list) and any(isinstance(x, bool) for x in v):
            raise SpecProblem("range bounds must be numbers, not true/false", "write range = [low, high]")
        return v

    @model_validator(mode="after")
    def _check(self) -> Factor:
        if self.levels is not None and self.range is not None:
            raise SpecProblem("give either levels or range, not both", "remove one")
        if self.points is not None and self.range is None and self.levels is not None:
            raise SpecProblem("points applies to a range, not to levels", "remove points", "points")
        if self.range is not None:
            self._check_range(*self.range)
        if self.peak is not None and self.distribution != "triangular":
            raise SpecProblem('peak only applies to distribution = "triangular"', "remove peak", "peak")
        if self.integer and self.levels is not None:
            odd = [x for x in self.levels if not (isinstance(x, int) and not isinstance(x, bool))]
            if odd:
                raise SpecProblem(f"level {odd[0]!r} of an integer factor is not an integer", "write whole numbers")
        return self

    def _check_range(self, lo: float, hi: float) -> None:
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            raise SpecProblem(f"range [{lo}, {hi}] must have finite low < high", "swap or widen it", "range")
        if self.distribution == "loguniform" and lo <= 0:
            raise SpecProblem("a loguniform range needs low > 0", "raise low or use uniform", "range")
        if self.peak is not None and not lo <= self.peak <= hi:
            raise SpecProblem(f"peak {self.peak} lies outside the range", f"pick a value in [{lo}, {hi}]", "peak")
        if self.integer and (lo != math.floor(lo) or hi != math.floor(hi)):
            raise SpecProblem(
                f"range [{lo}, {hi}] of an integer factor has fractional bounds (values would be rounded)",
                f"use whole-number bounds such as [{math.ceil(lo)}, {math.floor(hi)}], or integer = false",
                "range",
            )


class Output(_Strict):
    """One scalar output: INSPIRE route = indicator + statistic (or, with ``effect_of``, the paired
    effect of a plan on it); model route = a returned key."""

    indicator: SStr = Field(min_length=1, description="Indicator (INSPIRE) or output key (model function).")
    statistic: Literal["final", "mean", "cumulative"] = "final"
    window: tuple[SInt, SInt] | None = Field(
        None, description="[first, last] month, inclusive, 1-based; negative counts from the end ([-12, -1])."
    )
    name: SStr | None = Field(
        None, min_length=1, description="Column name (default indicator_statistic[_effect_PLAN])."
    )
    effect_of: SStr | None = Field(
        None,
        min_length=1,
        description="INSPIRE route: a plan (shipped scenario name or path relative to the spec). The output "
        "is then plan minus base scenario, both run with the same factor values and the same seed.",
    )
    analytic: dict[Literal["S1", "ST"], dict[str, float]] | None = Field(
        None,
        description="Known Sobol' indices {S1 = {factor = value}, ST = {...}}, drawn over the estimates "
        "(not part of the spec's identity).",
    )

    @field_validator("analytic", mode="before")
    @classmethod
    def _analytic(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        for idx, table in v.items():
            if not isinstance(table, dict) or not table:
                raise SpecProblem(
                    f"analytic.{idx} must be a table of factor = value",
                    f"write analytic = {{ {idx} = {{ x1 = 0.3 }} }}",
                )
            for factor, value in table.items():
                if not (_num(value) and math.isfinite(value)):
                    raise SpecProblem(f"analytic {idx} of {factor!r} is {value!r}", "give a finite number")
        return v

    @model_validator(mode="after")
    def _check(self) -> Output:
        if self.window is not None:
            a, b = self.window
            if not (1 <= a <= b or a <= b <= -1):
                raise SpecProblem(
                    f"window [{a}, {b}] is neither 1 <= first <= last nor counted from the end (first <= last <= -1)",
                    "write window = [first, last], or [-12, -1] for the last 12 months",
                    "window",
                )
            if self.statistic == "final":
                raise SpecProblem(
                    "a window does not apply to statistic 'final'",
                    'use statistic = "mean" or "cumulative", or drop window',
                    "window",
                )
        if self.column in RESERVED_COLUMNS:
            raise SpecProblem(f"column name {self.column!r} is reserved", 'give name = "..."', "name")
        return self

    @property
    def column(self) -> str:
        """The output's column in the results (``name``, else indicator_statistic[_effect_PLAN])."""
        if self.name:
            return self.name
        base = f"{self.indicator}_{self.statistic}"
        if self.effect_of:
            from .names import safe_name

            base += "_effect_" + safe_name(Path(self.effect_of).stem, default="plan")
        return base


class Design(_Strict):
    """The sampling design."""

    kind: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: SInt | None = Field(
        None, ge=1, le=2**40, description="lhs: points; sobol: base N (power of 2); morris: trajectories."
    )
    second_order: SBool = Field(False, description="sobol: also estimate second-order indices S2.")
    num_levels: SInt = Field(4, ge=2, le=1000, description="morris: grid levels (even).")
    optimal_trajectories: SInt | None = Field(
        None, ge=2, description="morris: keep this many of `samples` trajectories."
    )
    optimization: Literal["random-cd", "lloyd"] | None = Field(
        None, description="lhs: scipy space-filling optimisation."
    )
    num_resamples: SInt = Field(1000, ge=10, le=10**6, description="Bootstrap resamples for confidence intervals.")
    conf_level: float = Field(0.95, gt=0, lt=1, description="Confidence level of the intervals.")

    @model_validator(mode="after")
    def _check(self) -> Design:
        if self.kind != "grid" and self.samples is None:
            default = {"lhs": "100", "sobol": "1024", "morris": "20"}[self.kind]
            raise SpecProblem(f"design {self.kind!r} needs a sample size", f"add samples = {default}", "samples")
        if self.kind == "sobol" and self.samples and self.samples & (self.samples - 1):
            raise SpecProblem(
                f"Sobol' base sample {self.samples} is not a power of 2",
                f"use {1 << round(math.log2(self.samples))}",
                "samples",
            )
        if self.kind == "morris" and self.num_levels % 2:
            raise SpecProblem(f"num_levels {self.num_levels} is odd", "use an even number such as 4", "num_levels")
        opt = self.optimal_trajectories
        if opt is not None and (self.kind != "morris" or self.samples is None or opt >= self.samples):
            raise SpecProblem(
                "optimal_trajectories needs a morris design with more samples", "drop it or raise samples", "samples"
            )
        for key, kind, given in (
            ("second_order", "sobol", self.second_order),
            ("optimization", "lhs", self.optimization),
        ):
            if given and self.kind != kind:
                raise SpecProblem(f"{key} applies to {kind} designs only", f"remove {key}", key)
        return self


class ExperimentSpec(_Strict):
    """A validated experiment specification (see the module docstring)."""

    name: SStr = Field(min_length=1, max_length=200)
    description: SStr = ""
    scenario: SStr | None = None
    model: SStr | None = None
    model_class: SStr | None = Field(None, description="INSPIRE route: 'module:Class', a subclass of InspireModel.")
    design: Design = Field(default_factory=lambda: Design.model_validate({}))
    factors: list[Factor] = Field(min_length=1)
    outputs: list[Output] = Field(default_factory=list)
    replications: SInt = Field(1, ge=1, le=10**9)
    seed: SInt = Field(0, ge=0, le=2**32 - 1, description="Root seed; run seeds derive from it by SeedSequence.")
    common_random_numbers: SBool = Field(True, description="Same seed for a replicate at every design point.")
    steps: SInt | None = Field(None, ge=1, description="Months per run (INSPIRE route; default: the scenario's).")
    fixed: dict[str, Any] = Field(default_factory=dict, description="Parameters held fixed for every run.")
    timeout: float | None = Field(None, gt=0, le=10**7, description="Execution: per-run time limit, seconds.")
    max_memory: int | None = Field(None, description='Execution: per-run memory limit, e.g. "2G".')
    batch: SInt | Literal["auto"] | None = Field(
        None,
        description='Execution: runs per batch, "auto" (default: about 50,000 simulated SMEs per batch) or N; '
        "1 = no batching.",
    )

    # set from the validation context by load_spec, not part of the file
    source: str | None = Field(None, exclude=True)
    base_dir: str | None = Field(None, exclude=True)
    scenario_hash: str | None = Field(None, exclude=True)
    plan_hashes: dict[str, str | None] = Field(default_factory=dict, exclude=True)  # effect_of plan -> file hash

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        ctx = info.context or {}
        for key in _INTERNAL:
            if key in data:
                raise SpecProblem("unknown top-level key", unknown_key_fix(key, _top_keys()), f"/{key}")
        data["source"], data["base_dir"] = ctx.get("source"), ctx.get("base_dir")
        if isinstance(data.get("factors"), str):
            data["factors"] = _factors_of_role(data["factors"])
        if isinstance(data.get("design"), str):
            data["design"] = {"kind": data["design"]}
        if "design" in data and not isinstance(data["design"], dict):
            raise SpecProblem("must be a table", "write it as [design]", "/design")
        if "fixed" in data and not isinstance(data["fixed"], dict):
            raise SpecProblem("must be a table", "write it as [fixed]", "/fixed")
        if data.get("max_memory") is not None:
            data["max_memory"] = parse_memory(data["max_memory"])
        if data.get("batch") is not None:
            from ..run import BATCH_FIX, check_batch

            try:
                data["batch"] = check_batch(data["batch"])
            except InputError as exc:
                raise SpecProblem(exc.message, BATCH_FIX, "/batch") from None
        return data

    @model_validator(mode="after")
    def _check(self) -> ExperimentSpec:
        if bool(self.scenario) == bool(self.model):
            raise SpecProblem(
                "name either a base scenario or a model function",
                'give scenario = "baseline" or model = "module:function", not both/neither',
                "/model" if self.model else "/scenario",
            )
        if self.model:  # import errors first
            check_signature(self.model_function(), self.model, self.source)
        self._check_factor_set()
        self._check_analytic()
        if self.route == "inspire":
            _check_inspire(self)
        else:
            _check_model_route(self)
        return self

    def _check_factor_set(self) -> None:
        names = self.factor_names
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise SpecProblem(f"factor {sorted(dup)[0]!r} appears twice", "list each factor once", "/factors")
        clash = set(names) & set(self.fixed)
        if clash:
            raise SpecProblem(f"{sorted(clash)[0]!r} is both a factor and fixed", "remove it from [fixed]", "/fixed")
        kind = self.design.kind
        if kind == "grid":
            for i, f in enumerate(self.factors):
                if f.levels is None and f.points is None:
                    raise SpecProblem(
                        "a grid factor needs levels or points",
                        "give levels = [...] or points = 5 (with range)",
                        f"/factors[{i}={f.name}]",
                    )
        elif any(f.points is not None for f in self.factors):
            raise SpecProblem(f"points applies to grid designs, not {kind!r}", "remove points", "/factors")
        if kind in ("sobol", "morris") and len(self.factors) < 2:
            raise SpecProblem(f"design {kind!r} needs at least two factors", "add factors or use a grid", "/factors")
        cols = self.output_names
        dup = {n for n in cols if cols.count(n) > 1}
        if dup:
            raise SpecProblem(
                f"two outputs are named {sorted(dup)[0]!r}", 'give each a distinct name = "..."', "/outputs"
            )
        both = set(cols) & set(names)
        if both:
            raise SpecProblem(f"{sorted(both)[0]!r} is both a factor and an output", "rename the output", "/outputs")

    def _check_analytic(self) -> None:
        for i, o in enumerate(self.outputs):
            if not o.analytic:
                continue
            where = f"/outputs[{i}={o.column}].analytic"  # drawn on Sobol' bars; other designs keep them unused
            for idx, table in o.analytic.items():
                unknown = [f for f in table if f not in self.factor_names]
                if unknown:
                    raise SpecProblem(
                        f"analytic {idx} names {unknown[0]!r}, which is not a factor",
                        unknown_key_fix(unknown[0], self.factor_names),
                        where,
                    )

    # -- derived ---------------------------------------------------------------------
    @property
    def route(self) -> str:
        return "model" if self.model else "inspire"

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def output_names(self) -> list[str]:
        return [o.column for o in self.outputs]

    def identity(self) -> dict[str, Any]:
        """What fixes the runs' results: not the description, nor execution settings
        (timeout, max_memory), nor analytic reference values, so a store resumes when only
        those change. The files of the base scenario and of every ``effect_of`` plan are."""
        data = self.model_dump(mode="json")
        for key in ("description", "timeout", "max_memory", "batch"):
            data.pop(key, None)
        for o in data.get("outputs", []):
            o.pop("analytic", None)
            if o.get("effect_of") is None:
                o.pop("effect_of", None)
        data["scenario_hash"] = self.scenario_hash
        if self.plan_hashes:
            data["plan_hashes"] = dict(self.plan_hashes)
        return data

    @property
    def hash(self) -> str:
        blob = json.dumps(self.identity(), sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()

    def load_base_scenario(self) -> Any:
        """The base scenario with ``fixed`` applied (INSPIRE route)."""
        from ..core.scenario import load_scenario

        path = _resolve_scenario(self.scenario or "", self.base_dir)
        try:
            scen = load_scenario(path)
        except InputError as exc:
            where = f" ({exc.source}: field '{exc.field}')" if exc.field else ""
            raise InputError(
                f"scenario {self.scenario!r}: {exc.message}{where}", source=self.source, field="scenario", fix=exc.fix
            ) from None
        if self.fixed:
            try:
                scen = scen.with_overrides(dict(self.fixed))
            except InputError as exc:
                raise InputError(
                    exc.message, source=self.source, field=f"fixed.{exc.field or ''}".rstrip("."), fix=exc.fix
                ) from None
        return scen

    @property
    def plans(self) -> list[str]:
        """The distinct ``effect_of`` plans of the outputs, in order."""
        return list(dict.fromkeys(o.effect_of for o in self.outputs if o.effect_of))

    def load_plan_scenarios(self) -> dict[str, Any]:
        """Each ``effect_of`` plan as a Scenario with ``fixed`` applied (INSPIRE route)."""
        return {plan: _load_plan(self, plan) for plan in self.plans}

    def model_function(self) -> Callable[..., dict[str, Any]]:
        """Import the ``module:function`` of the model route."""
        return import_model(self.model or "", self.base_dir, source=self.source)


_INTERNAL = ("source", "base_dir", "scenario_hash", "plan_hashes")


def _top_keys() -> set[str]:
    return set(ExperimentSpec.model_fields) - set(_INTERNAL)


# ----------------------------------------------------------------------------------------
# route checks (called by ExperimentSpec's model validator)
# ----------------------------------------------------------------------------------------


def _check_model_route(spec: ExperimentSpec) -> None:
    if spec.model_class is not None:
        raise SpecProblem("model_class applies to the INSPIRE model", "drop model_class", "/model_class")
    if not spec.outputs:
        raise SpecProblem("no outputs", 'add [[outputs]] with indicator = "<a key the function returns>"', "/outputs")
    for i, f in enumerate(spec.factors):
        if f.levels is None and f.range is None:
            raise SpecProblem(
                "a model-function factor needs its bounds",
                "give range = [low, high] or levels = [...]",
                f"/factors[{i}={f.name}].range",
            )
        if f.integer is None:
            f.integer = False
    for i, o in enumerate(spec.outputs):
        if o.effect_of is not None:
            raise SpecProblem(
                "effect_of applies to the INSPIRE model (a plan against the base scenario)",
                "drop effect_of, or compute the difference in the model function",
                f"/outputs[{i}].effect_of",
            )
        if o.name is None:
            o.name = o.indicator
        if o.statistic != "final" or o.window is not None:
            raise SpecProblem(
                "model-function outputs are scalars",
                "drop statistic and window (the function returns the value)",
                f"/outputs[{i}].statistic",
            )
    if spec.steps is not None:
        raise SpecProblem("steps applies to the INSPIRE model only", "drop steps (or pass it in [fixed])", "/steps")


def _check_inspire(spec: ExperimentSpec) -> None:
    if spec.model_class:
        import_model_class(spec.model_class, spec.base_dir, spec.source)
    scen = spec.load_base_scenario()
    spec.scenario_hash = scen.file_hash
    steps_names = {"steps", "model.steps"}
    if spec.steps is not None and steps_names & (set(spec.fixed) | set(spec.factor_names)):
        raise SpecProblem(
            "steps is given both at the top level and in [fixed] or as a factor (ambiguous)",
            "keep one of them",
            "/steps",
        )
    table = spec_by_name()
    if spec.steps is not None:
        hi = table["steps"].hi
        if hi is not None and spec.steps > hi:
            raise SpecProblem(
                f"steps {spec.steps} is above the limit of {hi:g} months", f"use at most {hi:g}", "/steps"
            )
    for i, f in enumerate(spec.factors):
        _check_inspire_factor(spec, scen, table, i, f)
    _check_inspire_outputs(spec, _min_steps(spec, scen))
    _check_corners(spec, scen)
    for plan in spec.plans:
        plan_scen = _load_plan(spec, plan)
        _check_plan(spec, scen, plan_scen, plan)
        spec.plan_hashes[plan] = plan_scen.file_hash
        _check_corners(spec, plan_scen)


def _plan_field(spec: ExperimentSpec, plan: str) -> str:
    i = next(i for i, o in enumerate(spec.outputs) if o.effect_of == plan)
    return f"outputs[{i}={spec.outputs[i].column}].effect_of"


def _load_plan(spec: ExperimentSpec, plan: str) -> Any:
    """An ``effect_of`` plan, resolved like ``scenario`` (next to the spec, else shipped), ``fixed`` applied."""
    from ..core.scenario import load_scenario

    field = _plan_field(spec, plan)
    try:
        scen = load_scenario(_resolve_scenario(plan, spec.base_dir))
    except InputError as exc:
        where = f" ({exc.source}: field '{exc.field}')" if exc.field else ""
        raise InputError(f"plan {plan!r}: {exc.message}{where}", source=spec.source, field=field, fix=exc.fix) from None
    if spec.fixed:
        try:
            scen = scen.with_overrides(dict(spec.fixed))
        except InputError as exc:
            raise InputError(
                f"plan {plan!r} with [fixed]: {exc.message}", source=spec.source, field=field, fix=exc.fix
            ) from None
    return scen


def _check_plan(spec: ExperimentSpec, base: Any, plan_scen: Any, plan: str) -> None:
    """A plan's effect is the policies' alone: the same countries, months, population and
    initial conditions as the base scenario (the check ``compare`` makes)."""
    from ..core.scenario import check_comparable

    if spec.steps is not None:  # both run spec.steps months
        plan_scen = plan_scen.with_overrides({"steps": base.params.steps})
    try:
        check_comparable(base, plan_scen, spec.scenario or "", plan, allow_different_populations=False)
    except InputError as exc:
        where = f" (field '{exc.field}')" if exc.field else ""
        raise InputError(
            f"plan {plan!r} is not comparable with the base scenario {spec.scenario!r}{where}: {exc.message}",
            source=spec.source,
            field=_plan_field(spec, plan),
            fix="name a plan that changes only policies of the base scenario (extends it), or set the "
            "differing values in [fixed]",
        ) from None


def _min_steps(spec: ExperimentSpec, scen: Any) -> int:
    steps = spec.steps or scen.params.steps
    for f in spec.factors:
        if f.name in ("steps", "model.steps"):
            lows = [v for v in (f.levels or []) if _num(v)] + ([f.range[0]] if f.range else [])
            steps = int(min(lows)) if lows else steps
    return int(steps)


def _check_inspire_factor(spec: ExperimentSpec, scen: Any, table: dict[str, Any], i: int, f: Factor) -> None:
    where = f"/factors[{i}={f.name}]"
    ps = table.get(f.name)
    if ps is None and not f.name.startswith("countries."):
        fix = unknown_key_fix(f.name, [n for n in table if "." in n])
        raise SpecProblem("unknown parameter", fix, f"{where}.name")
    if f.levels is None:
        if ps is None:
            raise SpecProblem("country parameters have no default range", "give range = [low, high] or levels", where)
        if not _num(ps.default):
            raise SpecProblem(f"parameter {f.name} is not numeric", "give levels = [...] with valid values", where)
        if f.range is None:
            if ps.sa_range is None:
                raise SpecProblem(
                    f"parameter {f.name} has no sa_range", f"give range = [low, high] within [{ps.lo}, {ps.hi}]", where
                )
            f.range = (float(ps.sa_range[0]), float(ps.sa_range[1]))
        lo, hi = f.range
        if (ps.lo is not None and lo < ps.lo) or (ps.hi is not None and hi > ps.hi):
            raise SpecProblem(
                f"range [{lo}, {hi}] leaves the valid bounds [{ps.lo}, {ps.hi}]",
                "narrow the range to the valid bounds",
                f"{where}.range",
            )
    if f.integer is None:
        f.integer = bool(ps.integer) if ps is not None else False
        if f.integer and f.range is not None:
            f._check_range(*f.range)
    values = list(f.levels) if f.levels is not None else list(f.range or ())
    for v in values:
        _check_value(scen, ps, f, v, where)


def _check_value(scen: Any, ps: Any, f: Factor, v: Any, where: str) -> None:
    """One level (or range end) of an INSPIRE parameter: its type, then the scenario's own validation."""
    if ps is not None:
        default = ps.default
        if isinstance(default, bool) and not isinstance(v, bool):
            raise SpecProblem(f"level {v!r} of {f.name} is not true/false", "write levels = [true, false]", where)
        if _num(default) and not _num(v):
            raise SpecProblem(f"level {v!r} of {f.name} is not a number", "give numbers", where)
        if ps.integer and _num(v) and f.levels is not None and not isinstance(v, int):
            raise SpecProblem(f"level {v!r} of {f.name} is not a whole number", f"write {math.floor(v)}", where)
    try:
        scen.with_overrides({f.name: v})
    except InputError as exc:
        fix = (
            exc.fix if exc.fix and exc.fix != "correct the values" else "remove it from the levels or narrow the range"
        )
        raise SpecProblem(f"value {v!r} is invalid: {exc.message}", fix, where) from None


def _check_inspire_outputs(spec: ExperimentSpec, steps: int) -> None:
    from ..core.metrics import INDICATORS

    if not spec.outputs:
        raise SpecProblem(
            "no outputs", 'add [[outputs]] with indicator = "cooperating_share" and statistic = "final"', "/outputs"
        )
    for i, o in enumerate(spec.outputs):
        where = f"/outputs[{i}]"
        if o.indicator not in INDICATORS:
            raise SpecProblem(
                f"unknown indicator {o.indicator!r}", unknown_key_fix(o.indicator, INDICATORS), f"{where}.indicator"
            )
        if o.window is not None and (o.window[1] > steps or -o.window[0] > steps):
            a, b = o.window
            raise SpecProblem(
                f"window [{a}, {b}] is not within months 1..{steps}",
                f"use 1 <= first <= last <= {steps}, or [-12, -1] for the last year whatever the steps",
                f"{where}.window",
            )


def _check_corners(spec: ExperimentSpec, scen: Any) -> None:
    """Every corner of the factor space (each factor at its lowest or highest value;
    all-low and all-high only beyond 8 factors) against cross-parameter rules."""
    ends = []
    for f in spec.factors:
        vals = list(f.levels) if f.levels is not None else list(f.range or ())
        try:
            ends.append(sorted({min(vals), max(vals)}))
        except TypeError:
            ends.append([vals[0], vals[-1]])
    corners: Iterable[tuple[Any, ...]] = (
        itertools.product(*ends) if len(ends) <= 8 else [tuple(e[0] for e in ends), tuple(e[-1] for e in ends)]
    )
    for corner in corners:
        values = dict(zip(spec.factor_names, corner, strict=True))
        try:
            scen.with_overrides(values)
        except InputError as exc:
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            raise SpecProblem(
                f"the design corner ({shown}) is invalid: {exc.message}",
                exc.fix if exc.fix and exc.fix != "correct the values" else "narrow the factors' ranges or levels",
                "/factors",
            ) from None


# ----------------------------------------------------------------------------------------
# importing the code a spec names
# ----------------------------------------------------------------------------------------


def _resolve_scenario(name: str, base_dir: str | None) -> Path | str:
    if base_dir:
        cand = Path(base_dir) / name
        if cand.exists():
            return cand
        if not cand.suffix and cand.with_suffix(".toml").exists():
            return cand.with_suffix(".toml")
    return name  # load_scenario resolves shipped names


def _import_module(mod_name: str, base_dir: str | None, source: str | None, field: str) -> Any:
    def problem(message: str, fix: str) -> InputError:
        return InputError(message, source=source, field=field, fix=fix)

    if mod_name.endswith(".py"):
        path = Path(mod_name)
        if not path.is_absolute() and base_dir:
            path = Path(base_dir) / path
        if not path.is_file():
            raise problem(f"model file {str(path)!r} not found", "give a path relative to the spec file")
        name = "inspire_sim_user_model_" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise problem(f"cannot load {str(path)!r}", "give a Python source file")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
        return module
    top = mod_name.split(".")[0]
    if not re.fullmatch(r"[A-Za-z_][\w.]*", mod_name):
        raise problem(f"{mod_name!r} is not a module name", 'write "package.module:function" or "file.py:function"')
    if top in sys.stdlib_module_names or top in sys.builtin_module_names or top == "__main__":
        raise problem(
            f"{mod_name!r} is part of Python's standard library, not a model",
            "name a .py file or a module of an installed package",
        )
    if base_dir and base_dir not in sys.path:
        sys.path.append(base_dir)
    return importlib.import_module(mod_name)


def import_model(
    ref: str, base_dir: str | None = None, source: str | None = None, field: str = "model"
) -> Callable[..., Any]:
    """Import ``package.module:function`` or ``path/to/file.py:function`` (this runs the
    module's code). The standard library and builtins are refused; any error raised
    while importing becomes one :class:`InputError` line."""
    if not isinstance(ref, str) or ref.count(":") < 1 or not ref.rpartition(":")[2]:
        raise InputError(
            f"{field} {ref!r} is not 'module:name'",
            source=source,
            field=field,
            fix=f'write {field} = "package.module:name" or "file.py:name"',
        )
    mod_name, _, attr = ref.rpartition(":")
    try:
        module = _import_module(mod_name, base_dir, source, field)
    except InputError:
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # ImportError, SyntaxError, anything raised on import, SystemExit
        what = "cannot import" if isinstance(exc, ImportError) else "importing"
        tail = "" if isinstance(exc, ImportError) else " failed"
        text = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        raise InputError(
            f"{what} {mod_name!r}{tail} ({text})",
            source=source,
            field=field,
            fix="check the module name, that it is installed or on PYTHONPATH, and that it imports cleanly",
        ) from None
    obj = getattr(module, attr, None)
    if obj is None or not callable(obj):
        names = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")]
        raise InputError(
            f"{mod_name!r} has no function {attr!r}", source=source, field=field, fix=unknown_key_fix(attr, names)
        )
    return obj


def _annotation_ok(ann: Any) -> bool:
    if ann is inspect.Parameter.empty:
        return True
    text = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
    return any(w in str(text) for w in ("dict", "Dict", "Mapping", "Any"))


def check_signature(func: Any, ref: str, source: str | None = None) -> None:
    """A model function takes one dict (and optionally ``seed=``) and returns a dict."""

    def refuse(message: str) -> InputError:
        return InputError(
            f"{ref!r} {message}",
            source=source,
            field="model",
            fix="write `def model(params: dict, seed: int) -> dict:` returning the outputs",
        )

    if not inspect.isfunction(func):
        raise refuse(f"is a {type(func).__name__}, not a Python function")
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not positional and not any(p.kind == p.VAR_POSITIONAL for p in params):
        raise refuse("takes no argument (it must take the dict of parameters)")
    required = [p for p in positional[1:] if p.default is p.empty and p.name != "seed"]
    required += [p for p in params if p.kind == p.KEYWORD_ONLY and p.default is p.empty and p.name != "seed"]
    if required:
        raise refuse(f"needs argument {required[0].name!r} that the runner does not pass")
    if positional and not _annotation_ok(positional[0].annotation):
        raise refuse(f"takes {positional[0].annotation}, not a dict")
    if not _annotation_ok(sig.return_annotation):
        raise refuse(f"returns {sig.return_annotation}, not a dict")


def import_model_class(ref: str, base_dir: str | None = None, source: str | None = None) -> type:
    """Import ``module:Class`` (or ``file.py:Class``), a subclass of :class:`~inspire_sim.core.model.InspireModel`."""
    from ..core.model import InspireModel

    cls = import_model(ref, base_dir, source=source, field="model_class")
    if not (isinstance(cls, type) and issubclass(cls, InspireModel)):
        raise InputError(
            f"{ref!r} is not a subclass of InspireModel",
            source=source,
            field="model_class",
            fix="name a class defined as `class MyModel(InspireModel): ...`",
        )
    return cls


def accepts_seed(func: Callable[..., Any]) -> bool:
    """Whether a model function takes a ``seed`` keyword (then each run's seed is passed)."""
    try:
        return "seed" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _factors_of_role(role: str) -> list[dict[str, Any]]:
    """``factors = "uncertainty"`` (or "lever"): every parameter of that role with an sa_range."""
    from ..core.params import Role
    from ..levers import salib_problem

    roles = [str(r) for r in Role]
    if role not in roles:
        raise SpecProblem(
            f"factors = {role!r} is not a parameter role",
            f"use one of {', '.join(roles)}, or list [[factors]] tables",
            "/factors",
        )
    return [{"name": n} for n in salib_problem(role=role)["names"]]


# ----------------------------------------------------------------------------------------
# validation errors -> one line
# ----------------------------------------------------------------------------------------


def _path(loc: tuple[Any, ...], raw: Any) -> str:
    """('factors', 1, 'range') -> 'factors[1=name].range' (labels from the raw spec)."""
    out: list[str] = []
    node = raw
    for part in loc:
        if isinstance(part, int):
            label = None
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                if isinstance(node, dict):
                    label = node.get("name") or node.get("indicator") or None
            else:
                node = None
            out[-1:] = [f"{out[-1] if out else ''}[{part}{'=' + str(label) if label else ''}]"]
        else:
            out.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(out)


_MODELS: dict[str, type[BaseModel]] = {}


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel]:
    if not _MODELS:
        _MODELS.update(factors=Factor, outputs=Output, design=Design)
    return _MODELS.get(str(loc[0]), ExperimentSpec) if len(loc) > 1 else ExperimentSpec


def to_input_error(exc: ValidationError, raw: dict[str, Any], source: str) -> InputError:
    """The first pydantic error as one line: field path, message, fix."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged-"))))
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, InputError):
        return cause if cause.source else cause.with_source(source)
    field = _path(loc, raw) or None
    if isinstance(cause, SpecProblem):
        if cause.field and cause.field.startswith("/"):
            field = cause.field[1:]
        elif cause.field:
            field = f"{field}.{cause.field}" if field else cause.field
        return InputError(cause.message, source=source, field=field, fix=cause.fix)
    kind, msg, given = err["type"], err["msg"], err.get("input")
    if kind == "extra_forbidden":
        owner = _model_at(loc[:-1]) if len(loc) > 1 else ExperimentSpec
        valid = _top_keys() if owner is ExperimentSpec else set(owner.model_fields)
        what = "unknown top-level key" if len(loc) == 1 else "unknown key"
        return InputError(what, source=source, field=field, fix=unknown_key_fix(str(loc[-1]), valid))
    if kind == "missing":
        fixes = {"factors": 'add [[factors]] tables with name = "..."', "name": 'add name = "..." at the top'}
        return InputError("missing", source=source, field=field, fix=fixes.get(str(loc[-1]), f"add {loc[-1]}"))
    if kind.startswith(("greater_than", "less_than")):
        return InputError(
            f"value {given!r} is out of bounds ({msg.lower()})",
            source=source,
            field=field,
            fix="use a value within the bounds",
        )
    if kind in ("literal_error", "enum"):
        return InputError(f"{given!r} is not allowed", source=source, field=field, fix=msg.lower())
    return InputError(f"{msg.lower()} (got {given!r})", source=source, field=field, fix="write a value of that type")


def validate_spec(raw: dict[str, Any], source: str, base_dir: str | None) -> ExperimentSpec:
    """Validate a parsed spec (dict): every field, level and bound, the named code and
    the base scenario, before anything runs."""
    if not isinstance(raw, dict):
        raise InputError("a spec is a table of keys", source=source, fix="write a TOML file with name = ...")
    try:
        return ExperimentSpec.model_validate(raw, context={"source": source, "base_dir": base_dir})
    except ValidationError as exc:
        raise to_input_error(exc, raw, source) from None
    except SpecProblem as exc:  # raised outside pydantic's wrapping (a before-validator's helper)
        raise InputError(exc.message, source=source, field=(exc.field or "").lstrip("/") or None, fix=exc.fix) from None


def resolve_spec_path(path: str | Path) -> Path:
    """A spec path, or a bare name looked up in the shipped ``experiments/`` folder."""
    from ..core.scenario import resolve_path

    return resolve_path(path, EXPERIMENT_DIR, kind="experiment")


def apply_sets(raw: dict[str, Any], sets: dict[str, Any], source: str = "command line") -> dict[str, Any]:
    """``--set`` overrides: a top-level key (``replications=2``, ``steps=24``), a dotted
    key into ``[design]`` or ``[fixed]`` (``design.samples=64``, ``fixed.n_smes=200``),
    or any other name: a parameter held fixed (``n_smes=200``)."""
    raw = {**raw, "fixed": dict(raw.get("fixed") or {}), "design": raw.get("design", {})}
    if isinstance(raw["design"], str):
        raw["design"] = {"kind": raw["design"]}
    raw["design"] = dict(raw["design"]) if isinstance(raw["design"], dict) else raw["design"]
    for key, value in sets.items():
        head, _, rest = key.partition(".")
        if key in _top_keys() and key not in ("fixed", "design", "factors", "outputs"):
            raw[key] = value
        elif head == "design" and rest and isinstance(raw["design"], dict):
            raw["design"][rest] = value
        elif head == "fixed" and rest:
            raw["fixed"][rest] = value
        elif key in ("fixed", "design", "factors", "outputs"):
            raise InputError(
                f"{key} is a table or list",
                source=source,
                field="--set",
                fix=f"set one entry, e.g. --set {key}.NAME=VALUE",
            )
        else:
            raw["fixed"][key] = value
    if not raw["fixed"]:
        raw.pop("fixed")
    if raw["design"] == {}:
        raw.pop("design")
    return raw


def load_spec(path: str | Path, sets: dict[str, Any] | None = None, **changes: Any) -> ExperimentSpec:
    """Read and validate an experiment spec; ``changes`` replace top-level keys and
    ``sets`` are ``--set`` overrides (see :func:`apply_sets`).

    ``path`` may be a file or the name of a shipped spec (``"ishigami"``). Example:
    ``load_spec("policy_grid", replications=2, fixed={"n_smes": 200}, steps=24)``.
    """
    p = resolve_spec_path(path)
    source = str(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        options = sorted(x.stem for x in EXPERIMENT_DIR.glob("*.toml")) if EXPERIMENT_DIR.exists() else []
        raise InputError(
            "file not found", source=source, fix=unknown_key_fix(p.stem, options) if options else "check the path"
        ) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot read ({exc.strerror})", source=source, fix="give a readable .toml file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"TOML syntax error: {exc}", source=source, fix="correct the TOML syntax") from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=source, fix="save the file as UTF-8") from None
    raw.update(changes)
    if sets:
        raw = apply_sets(raw, sets)
    return validate_spec(raw, source, str(p.resolve().parent))


def spec_from_dict(raw: dict[str, Any], base_dir: str | Path | None = None, source: str = "<spec>") -> ExperimentSpec:
    """Validate a spec given as a Python dict (same keys as the TOML file)."""
    return validate_spec(dict(raw), source, str(base_dir) if base_dir else None)
