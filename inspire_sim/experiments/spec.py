"""Experiment specifications: TOML data -> validated :class:`ExperimentSpec`.

A spec is data (no code runs when it is read, except importing a named model
function). Two routes:

* the INSPIRE model: ``scenario = "baseline"`` (a shipped scenario name or a path
  relative to the spec file), factors by dotted parameter name (bounds default to
  the parameter's ``sa_range`` from :mod:`inspire_sim.params`), outputs as
  ``indicator`` + ``statistic`` over the monthly time series;
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
    levels = [0, 400000, 1000000]
    [[outputs]]
    indicator = "cooperating_share"
    statistic = "mean"            # final | mean | cumulative
    window = [61, 120]            # months, inclusive (mean / cumulative only)

Any problem raises :class:`~inspire_sim.errors.InputError`: one line naming the file,
the field and the fix.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import json
import math
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError, unknown_key_fix
from ..params import spec_by_name
from ..scenario import _pydantic_error

EXPERIMENT_DIR = Path(__file__).resolve().parent.parent.parent / "experiments"
DESIGNS = ("grid", "lhs", "sobol", "morris")
STATISTICS = ("final", "mean", "cumulative")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Factor(_Strict):
    """One varied parameter: ``levels`` (discrete) or a ``range`` (continuous)."""

    name: str = Field(min_length=1, description="Dotted parameter name, e.g. 'support_funding.grant_size'.")
    levels: list[float | int | str | bool] | None = Field(None, min_length=1, description="Discrete values.")
    range: tuple[float, float] | None = Field(None, description="[low, high]; default: the parameter's sa_range.")
    distribution: Literal["uniform", "loguniform", "triangular"] = Field("uniform", description="Over the range.")
    peak: float | None = Field(None, description="Mode of a triangular distribution (default: mid-range).")
    points: int | None = Field(None, ge=2, description="Grid design: evenly spaced values over the range.")
    integer: bool | None = Field(None, description="Round sampled values (default: as the parameter).")

    @model_validator(mode="after")
    def _check(self) -> Factor:
        if self.levels is not None and self.range is not None:
            raise ValueError("give either levels or range, not both (fix: remove one)")
        if self.range is not None:
            lo, hi = self.range
            if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
                raise ValueError(f"range [{lo}, {hi}] must have low < high (fix: swap or widen it)")
            if self.distribution == "loguniform" and lo <= 0:
                raise ValueError("a loguniform range needs low > 0 (fix: raise low or use uniform)")
            if self.peak is not None and not lo <= self.peak <= hi:
                raise ValueError(f"peak {self.peak} lies outside the range (fix: pick a value in [{lo}, {hi}])")
        if self.peak is not None and self.distribution != "triangular":
            raise ValueError('peak only applies to distribution = "triangular" (fix: remove peak)')
        return self


class Output(_Strict):
    """One scalar output: INSPIRE route = indicator + statistic; model route = a returned key."""

    indicator: str = Field(min_length=1, description="Indicator (INSPIRE) or output key (model function).")
    statistic: Literal["final", "mean", "cumulative"] = "final"
    window: tuple[int, int] | None = Field(None, description="[first, last] month, inclusive, 1-based.")
    name: str | None = Field(None, description="Column name (default indicator_statistic).")

    @property
    def column(self) -> str:
        return self.name or f"{self.indicator}_{self.statistic}"


class Design(_Strict):
    """The sampling design."""

    kind: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: int | None = Field(
        None, ge=1, description="lhs: points; sobol: base N (power of 2); morris: trajectories."
    )
    second_order: bool = Field(False, description="sobol: also estimate second-order indices S2.")
    num_levels: int = Field(4, ge=2, description="morris: grid levels (even).")
    optimal_trajectories: int | None = Field(
        None, ge=2, description="morris: keep this many of `samples` trajectories."
    )
    optimization: Literal["random-cd", "lloyd"] | None = Field(
        None, description="lhs: scipy space-filling optimisation."
    )
    num_resamples: int = Field(1000, ge=10, description="Bootstrap resamples for confidence intervals.")
    conf_level: float = Field(0.95, gt=0, lt=1, description="Confidence level of the intervals.")


class ExperimentSpec(_Strict):
    """A validated experiment specification (see the module docstring)."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str | None = None
    model: str | None = None
    design: Design = Field(default_factory=Design)
    factors: list[Factor] = Field(min_length=1)
    outputs: list[Output] = Field(default_factory=list)
    replications: int = Field(1, ge=1)
    seed: int = Field(0, ge=0, description="Root seed; run seeds derive from it by SeedSequence.")
    common_random_numbers: bool = Field(True, description="Same seed for a replicate at every design point.")
    steps: int | None = Field(None, ge=1, description="Months per run (INSPIRE route; default: the scenario's).")
    fixed: dict[str, Any] = Field(default_factory=dict, description="Parameters held fixed for every run.")
    timeout: float | None = Field(None, gt=0, description="Per-run time limit in seconds.")

    # set by load_spec, not part of the file
    source: str | None = Field(None, exclude=True)
    base_dir: str | None = Field(None, exclude=True)
    scenario_hash: str | None = Field(None, exclude=True)

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
        """What fixes the runs' results (the description is left out)."""
        data = self.model_dump(mode="json")
        data.pop("description", None)
        data["scenario_hash"] = self.scenario_hash
        return data

    @property
    def hash(self) -> str:
        blob = json.dumps(self.identity(), sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()

    def load_base_scenario(self):
        """The base scenario with ``fixed`` applied (INSPIRE route)."""
        from ..scenario import load_scenario

        path = _resolve_scenario(self.scenario, self.base_dir)
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

    def model_function(self) -> Callable[..., dict[str, Any]]:
        """Import the ``module:function`` of the model route."""
        return import_model(self.model, self.base_dir, source=self.source)


# ----------------------------------------------------------------------------------------


def _resolve_scenario(name: str, base_dir: str | None) -> Path | str:
    if base_dir:
        cand = Path(base_dir) / name
        if cand.exists():
            return cand
        if not cand.suffix and cand.with_suffix(".toml").exists():
            return cand.with_suffix(".toml")
    return name  # load_scenario resolves shipped names


def import_model(
    ref: str, base_dir: str | None = None, source: str | None = None, field: str = "model"
) -> Callable[..., Any]:
    """Import ``package.module:function`` or ``path/to/file.py:function``."""
    if ":" not in ref:
        raise InputError(
            f"model {ref!r} is not 'module:function'",
            source=source,
            field=field,
            fix='write model = "package.module:function"',
        )
    mod_name, _, func_name = ref.rpartition(":")
    try:
        if mod_name.endswith(".py"):
            path = Path(mod_name)
            if not path.is_absolute() and base_dir:
                path = Path(base_dir) / path
            if not path.exists():
                raise InputError(
                    f"model file {str(path)!r} not found",
                    source=source,
                    field=field,
                    fix="give a path relative to the spec file",
                )
            name = "inspire_sim_user_model_" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
            module = sys.modules.get(name)
            if module is None:
                spec = importlib.util.spec_from_file_location(name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
        else:
            if base_dir and base_dir not in sys.path:
                sys.path.append(base_dir)
            module = importlib.import_module(mod_name)
    except InputError:
        raise
    except ImportError as exc:
        raise InputError(
            f"cannot import {mod_name!r} ({exc})",
            source=source,
            field=field,
            fix="check the module name and that it is installed or on PYTHONPATH",
        ) from None
    func = getattr(module, func_name, None)
    if not callable(func):
        names = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")]
        raise InputError(
            f"{mod_name!r} has no function {func_name!r}",
            source=source,
            field=field,
            fix=unknown_key_fix(func_name, names),
        )
    return func


def import_model_class(ref: str, base_dir: str | None = None, source: str | None = None) -> type:
    """Import ``module:Class`` (or ``file.py:Class``), a subclass of :class:`~inspire_sim.model.InspireModel`."""
    from ..model import InspireModel

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


def _check_inspire(spec: ExperimentSpec, source: str) -> None:
    from ..metrics import INDICATORS

    table = spec_by_name()
    scen = spec.load_base_scenario()
    spec.scenario_hash = scen.file_hash
    steps = spec.steps or scen.params.steps
    for i, f in enumerate(spec.factors):
        where = f"factors[{i}={f.name}]"
        if f.name.startswith("countries."):
            if f.levels is None and f.range is None:
                raise InputError(
                    "country parameters have no default range",
                    source=source,
                    field=where,
                    fix="give range = [low, high] or levels = [...]",
                )
            continue
        ps = table.get(f.name)
        if ps is None:
            raise InputError(
                "unknown parameter",
                source=source,
                field=f"{where}.name",
                fix=unknown_key_fix(f.name, [n for n in table if "." in n]),
            )
        if f.levels is None:
            if not isinstance(ps.default, (int, float)) or isinstance(ps.default, bool):
                raise InputError(
                    f"parameter {f.name} is not numeric",
                    source=source,
                    field=where,
                    fix="give levels = [...] with valid values",
                )
            if f.range is None:
                if ps.sa_range is None:
                    raise InputError(
                        f"parameter {f.name} has no sa_range",
                        source=source,
                        field=f"{where}.range",
                        fix=f"give range = [low, high] within [{ps.lo}, {ps.hi}]",
                    )
                f.range = (float(ps.sa_range[0]), float(ps.sa_range[1]))
            lo, hi = f.range
            if (ps.lo is not None and lo < ps.lo) or (ps.hi is not None and hi > ps.hi):
                raise InputError(
                    f"range [{lo}, {hi}] leaves the valid bounds [{ps.lo}, {ps.hi}]",
                    source=source,
                    field=f"{where}.range",
                    fix="narrow the range to the valid bounds",
                )
        if f.integer is None:
            f.integer = ps.integer
    names = [o.column for o in spec.outputs]
    if not spec.outputs:
        raise InputError(
            "no outputs",
            source=source,
            field="outputs",
            fix='add [[outputs]] with indicator = "cooperating_share" and statistic = "final"',
        )
    for i, o in enumerate(spec.outputs):
        where = f"outputs[{i}]"
        if o.indicator not in INDICATORS:
            raise InputError(
                f"unknown indicator {o.indicator!r}",
                source=source,
                field=f"{where}.indicator",
                fix=unknown_key_fix(o.indicator, INDICATORS),
            )
        if o.window is not None:
            if o.statistic == "final":
                raise InputError(
                    "a window does not apply to statistic 'final'",
                    source=source,
                    field=f"{where}.window",
                    fix='use statistic = "mean" or "cumulative", or drop window',
                )
            a, b = o.window
            if not 1 <= a <= b <= steps:
                raise InputError(
                    f"window [{a}, {b}] is not within months 1..{steps}",
                    source=source,
                    field=f"{where}.window",
                    fix=f"use 1 <= first <= last <= {steps}",
                )
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InputError(
            f"two outputs are named {sorted(dup)[0]!r}",
            source=source,
            field="outputs",
            fix='give each a distinct name = "..."',
        )
    # one full validation of a design corner, so bad names/values fail before any run
    from .design import build_design

    design = build_design(spec)
    for row in (0, len(design.points) - 1):
        values = design.params(row)
        try:
            scen.with_overrides(values)
        except InputError as exc:
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            raise InputError(
                f"design point {row} ({shown}) is invalid: {exc.message}",
                source=source,
                field="factors",
                fix=exc.fix if exc.fix != "correct the values" else "narrow the factors' ranges or levels",
            ) from None


def _check_model_route(spec: ExperimentSpec, source: str) -> None:
    spec.model_function()
    if not spec.outputs:
        raise InputError(
            "no outputs",
            source=source,
            field="outputs",
            fix='add [[outputs]] with indicator = "<a key the function returns>"',
        )
    for i, f in enumerate(spec.factors):
        if f.levels is None and f.range is None:
            raise InputError(
                "a model-function factor needs its bounds",
                source=source,
                field=f"factors[{i}={f.name}].range",
                fix="give range = [low, high] or levels = [...]",
            )
        if f.integer is None:
            f.integer = False
    for i, o in enumerate(spec.outputs):
        if o.name is None:
            o.name = o.indicator
        if o.statistic != "final" or o.window is not None:
            raise InputError(
                "model-function outputs are scalars",
                source=source,
                field=f"outputs[{i}].statistic",
                fix="drop statistic and window (the function returns the value)",
            )
    if spec.steps is not None:
        raise InputError(
            "steps applies to the INSPIRE model only",
            source=source,
            field="steps",
            fix="drop steps (pass it through fixed if your function takes it)",
        )


def validate_spec(raw: dict[str, Any], source: str, base_dir: str | None) -> ExperimentSpec:
    """Validate a parsed spec (dict) and resolve defaults from the parameter definition."""
    allowed = set(ExperimentSpec.model_fields) - {"source", "base_dir", "scenario_hash"}
    for key in raw:
        if key not in allowed:
            raise InputError("unknown top-level key", source=source, field=key, fix=unknown_key_fix(key, allowed))
    if isinstance(raw.get("factors"), str):
        raw = {**raw, "factors": _factors_of_role(raw["factors"], source)}
    if isinstance(raw.get("design"), str):
        raw = {**raw, "design": {"kind": raw["design"]}}
    for key, cls in (("design", Design),):
        if key in raw and not isinstance(raw[key], dict):
            raise InputError("must be a table", source=source, field=key, fix=f"write it as [{key}]")
    try:
        spec = ExperimentSpec(**raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        cls: type[BaseModel] = ExperimentSpec
        sub: Any = raw
        prefix = ""
        if loc and loc[0] in ("factors", "outputs") and len(loc) > 1 and isinstance(loc[1], int):
            cls = Factor if loc[0] == "factors" else Output
            sub = raw[loc[0]][loc[1]] if isinstance(raw.get(loc[0]), list) else raw
            label = sub.get("name") or sub.get("indicator") if isinstance(sub, dict) else None
            prefix = f"{loc[0]}[{loc[1]}{'=' + str(label) if label else ''}]"
            exc = _retry(cls, sub) or exc
        elif loc and loc[0] == "design" and isinstance(raw.get("design"), dict):
            cls, sub, prefix = Design, raw["design"], "design"
            exc = _retry(cls, sub) or exc
        elif err["type"] == "missing":
            field = str(loc[0])
            fixes = {"factors": 'add [[factors]] tables with name = "..."', "name": 'add name = "..." at the top'}
            raise InputError("missing", source=source, field=field, fix=fixes.get(field, f"add {field}")) from None
        raise _pydantic_error(exc, cls, sub, prefix, source) from None
    spec.source, spec.base_dir = source, base_dir
    if bool(spec.scenario) == bool(spec.model):
        raise InputError(
            "name either a base scenario or a model function",
            source=source,
            field="scenario" if not spec.model else "model",
            fix='give scenario = "baseline" or model = "module:function", not both/neither',
        )
    if spec.model:
        spec.model_function()  # import errors first
    names = spec.factor_names
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InputError(
            f"factor {sorted(dup)[0]!r} appears twice", source=source, field="factors", fix="list each factor once"
        )
    clash = set(names) & set(spec.fixed)
    if clash:
        raise InputError(
            f"{sorted(clash)[0]!r} is both a factor and fixed",
            source=source,
            field="fixed",
            fix="remove it from [fixed]",
        )
    d = spec.design
    if d.kind in ("lhs", "sobol", "morris") and d.samples is None:
        default = {"lhs": "100", "sobol": "1024", "morris": "20"}[d.kind]
        raise InputError(
            f"design {d.kind!r} needs a sample size",
            source=source,
            field="design.samples",
            fix=f"add samples = {default} under [design]",
        )
    if d.kind == "grid":
        for i, f in enumerate(spec.factors):
            if f.levels is None and f.points is None:
                raise InputError(
                    "a grid factor needs levels or points",
                    source=source,
                    field=f"factors[{i}={f.name}]",
                    fix="give levels = [...] or points = 5 (with range)",
                )
    if d.kind == "sobol" and d.samples & (d.samples - 1):
        raise InputError(
            f"Sobol' base sample {d.samples} is not a power of 2",
            source=source,
            field="design.samples",
            fix=f"use {1 << round(math.log2(d.samples))}",
        )
    if d.kind == "morris" and d.num_levels % 2:
        raise InputError(
            f"num_levels {d.num_levels} is odd",
            source=source,
            field="design.num_levels",
            fix="use an even number such as 4",
        )
    if d.kind in ("sobol", "morris") and len(spec.factors) < 2:
        raise InputError(
            f"design {d.kind!r} needs at least two factors",
            source=source,
            field="factors",
            fix="add factors or use a grid",
        )
    if spec.route == "inspire":
        _check_inspire(spec, source)
    else:
        _check_model_route(spec, source)
    return spec


def _factors_of_role(role: str, source: str) -> list[dict[str, Any]]:
    """``factors = "uncertainty"`` (or "lever"): every parameter of that role with an sa_range."""
    from ..params import Role, salib_problem

    roles = [str(r) for r in Role]
    if role not in roles:
        raise InputError(
            f"factors = {role!r} is not a parameter role",
            source=source,
            field="factors",
            fix=f"use one of {', '.join(roles)}, or list [[factors]] tables",
        )
    return [{"name": n} for n in salib_problem(role=role)["names"]]


def _retry(cls: type[BaseModel], sub: Any) -> ValidationError | None:
    try:
        cls(**sub) if isinstance(sub, dict) else None
    except ValidationError as exc:
        return exc
    return None


def resolve_spec_path(path: str | Path) -> Path:
    """A spec path, or a bare name looked up in the shipped ``experiments/`` folder."""
    from ..scenario import resolve_path

    return resolve_path(path, EXPERIMENT_DIR)


def load_spec(path: str | Path, **changes: Any) -> ExperimentSpec:
    """Read and validate an experiment spec; ``changes`` replace top-level keys.

    ``path`` may be a file or the name of a shipped spec (``"ishigami"``). Example:
    ``load_spec("policy_grid", replications=2, fixed={"n_smes": 200}, steps=24)``.
    """
    p = resolve_spec_path(path)
    source = str(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        options = sorted(x.name for x in EXPERIMENT_DIR.glob("*.toml")) if EXPERIMENT_DIR.exists() else []
        raise InputError(
            "file not found", source=source, fix=unknown_key_fix(p.name, options) if options else "check the path"
        ) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot read ({exc.strerror})", source=source, fix="give a readable .toml file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"TOML syntax error: {exc}", source=source, fix="correct the TOML syntax") from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=source, fix="save the file as UTF-8") from None
    raw.update(changes)
    return validate_spec(raw, source, str(p.resolve().parent))


def spec_from_dict(raw: dict[str, Any], base_dir: str | Path | None = None, source: str = "<spec>") -> ExperimentSpec:
    """Validate a spec given as a Python dict (same keys as the TOML file)."""
    return validate_spec(dict(raw), source, str(base_dir) if base_dir else None)
