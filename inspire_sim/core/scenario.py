"""Scenarios: TOML data -> validated :class:`Scenario` (parameters, countries, policies).

Contract of a scenario file (keep stable)::

    name = "baseline"
    description = "..."
    extends = "baseline.toml"        # optional, relative to this file
    inherit_policies = true          # optional: add this file's policies to the parent's
    total_budget = 5e6               # optional: EUR cap on all measures together
    [model]                          # ModelParams fields (n_smes, steps, ...)
    [[countries]]                    # name, size, strength, culture = [x, y], regions
    [[policies]]                     # kind, countries ("all" or names), start, end,
                                     # regions, sectors, budget_per_step, total_budget,
                                     # and the lever's own parameters

With ``extends``, ``[model]`` keys are merged over the parent's; ``countries`` and
``policies`` replace the parent's lists when given (``policies = []`` removes them),
except that ``inherit_policies = true`` appends this file's policies to the parent's.
Any problem raises :class:`~inspire_sim.errors.InputError` with one line naming the
file, the field and the fix.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import importlib.resources
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import InputError, closest, unknown_key_fix
from .countries import expand_countries
from .params import Country, ModelParams, PolicyParams, by_name, tabulate
from .policies import LEVER_PARAMS as LEVERS
from .policies import resolve_kind


# -- shipped files (resolver) ----------------------------------------------------------
def shipped_dir(folder: str) -> Path:
    """The folder of shipped ``*.toml`` files: ``"scenarios"``, ``"experiments"`` or ``"targets"``.

    An installed wheel carries them as package data (``inspire_sim/data/<folder>``, found with
    :mod:`importlib.resources`); a source checkout or editable install uses the top-level folder
    of the repository, which is the source of truth.
    """
    packaged = importlib.resources.files("inspire_sim").joinpath("data", folder)
    if packaged.is_dir():
        return Path(str(packaged))
    root = Path(__file__).resolve().parents[2]  # inspire_sim/core/scenario.py -> the repository
    return root / folder


SCENARIO_DIR = shipped_dir("scenarios")
EXPERIMENT_DIR = shipped_dir("experiments")
TOP_KEYS = {"name", "description", "extends", "inherit_policies", "total_budget", "model", "countries", "policies"}


@dataclass
class Scenario:
    """A validated scenario: model parameters, countries and policies."""

    name: str
    description: str
    params: ModelParams
    countries: list[Country]
    policies: list[PolicyParams]
    total_budget: float | None = None  # EUR cap on the spending of all measures together
    path: str | None = None
    file_hash: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    # -- views -----------------------------------------------------------------------
    @property
    def country_names(self) -> list[str]:
        return [c.name for c in self.countries]

    def to_dict(self) -> dict[str, Any]:
        """The fully resolved scenario as plain data (for manifests)."""
        return {
            "name": self.name,
            "description": self.description,
            "model": self.params.model_dump(mode="json"),
            "countries": [c.model_dump(mode="json") for c in self.countries],
            "policies": [p.model_dump(mode="json", exclude_none=True) for p in self.policies],
            "total_budget": self.total_budget,
            "path": self.path,
            "file_hash": self.file_hash,
            "overrides": self.overrides,
        }

    # -- changes -----------------------------------------------------------------------
    def with_overrides(self, values: dict[str, Any] | None = None, **kw: Any) -> Scenario:
        """A copy with parameters changed by (dotted) name.

        ``"n_smes"`` or ``"model.n_smes"`` set a model parameter; ``"support_funding.grant_size"``
        sets that field on every policy of that kind (adding one with defaults for all
        countries if the scenario has none); ``"countries.Germany.strength"`` sets a
        country field. Invalid names or values raise :class:`InputError`.
        """
        values = {**(values or {}), **kw}
        if not values:
            return self
        model = self.params.model_dump()
        countries = [c.model_dump() for c in self.countries]
        policies = [p.model_dump() for p in self.policies]
        total_budget = self.total_budget
        for key, value in values.items():
            if key == "total_budget":
                total_budget = value
            else:
                _override(key, value, model, countries, policies)
        raw: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "model": model,
            "countries": countries,
            "policies": policies,
        }
        if total_budget is not None:
            raw["total_budget"] = total_budget
        new = _validate(raw, _override_source(self.path, values))
        new.path, new.file_hash = self.path, self.file_hash
        new.overrides = {**self.overrides, **values}
        return new


def _override_source(path: str | None, values: dict[str, Any], shown: int = 3) -> str:
    """Where an invalid override is reported: the scenario and the overrides, not the file alone."""
    items = [f"{k}={_short(v)}" for k, v in values.items()]
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return f"{path or '<scenario>'} with {', '.join(items[:shown])}{more}"


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _override_country(key: str, parts: list[str], value: Any, countries: list[dict[str, Any]]) -> None:
    match = [c for c in countries if c["name"] == parts[1]]
    if not match:
        raise InputError(
            f"no country '{parts[1]}'", field=key, fix=unknown_key_fix(parts[1], [c["name"] for c in countries])
        )
    if parts[2] not in Country.model_fields:
        raise InputError("unknown country field", field=key, fix=unknown_key_fix(parts[2], Country.model_fields))
    match[0][parts[2]] = value


def _override_lever(key: str, parts: list[str], value: Any, policies: list[dict[str, Any]]) -> None:
    cls = LEVERS[parts[0]]
    if parts[1] not in cls.model_fields or parts[1] == "kind":
        raise InputError(
            "unknown lever parameter", field=key, fix=unknown_key_fix(parts[1], set(cls.model_fields) - {"kind"})
        )
    targets = [p for p in policies if resolve_kind(p["kind"]) == parts[0]]
    if not targets:  # the scenario has no such measure: add one with defaults for all countries
        policies.append(cls.model_validate({"kind": parts[0]}).model_dump())
        targets = policies[-1:]
    for p in targets:
        p[parts[1]] = value


def _override(
    key: str, value: Any, model: dict[str, Any], countries: list[dict[str, Any]], policies: list[dict[str, Any]]
) -> None:
    """Apply one dotted override to the raw tables (see :meth:`Scenario.with_overrides`)."""
    parts = key.split(".")
    if parts[0] == "model":
        parts = parts[1:]
    if len(parts) == 1:
        if parts[0] not in ModelParams.model_fields:
            raise InputError("unknown parameter", field=key, fix=unknown_key_fix(parts[0], ModelParams.model_fields))
        model[parts[0]] = value
    elif parts[0] == "countries" and len(parts) == 3:
        _override_country(key, parts, value, countries)
    elif parts[0] in LEVERS and len(parts) == 2:
        _override_lever(key, parts, value, policies)
    else:
        valid = [*list(by_name(tabulate(LEVERS))), "countries.<name>.<field>"]
        raise InputError("unknown parameter", field=key, fix=unknown_key_fix(key, valid))


# ----------------------------------------------------------------------------------------


def _loc(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """Turn a pydantic error location into a readable field path."""
    out: list[str] = []
    node: Any = raw
    for part in loc:
        if isinstance(part, int):
            name = None
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                name = node[part].get("name") or node[part].get("kind")
            out[-1] = f"{out[-1]}[{part}{'=' + name if name else ''}]" if out else str(part)
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            out.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(out)


def _pydantic_error(exc: ValidationError, cls: type[BaseModel], raw: Any, prefix: str, source: str) -> InputError:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in LEVERS))
    field_path = ".".join(x for x in [prefix, _loc(loc, raw) if isinstance(raw, dict) else ""] if x)
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        bad = str(err["loc"][-1])
        valid = set(cls.model_fields) - {"kind"}
        return InputError("unknown key", source=source, field=field_path, fix=unknown_key_fix(bad, valid))
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return InputError(
            f"value {err.get('input')!r} is out of bounds ({msg.lower()})",
            source=source,
            field=field_path,
            fix="use a value within the bounds shown by 'inspire-sim params'",
        )
    if kind == "value_error":
        text = msg.removeprefix("Value error, ")
        return InputError(
            text, source=source, field=field_path or None, fix=None if "fix:" in text else "correct the values"
        )
    return InputError(
        f"{msg.lower()} (got {err.get('input')!r})",
        source=source,
        field=field_path,
        fix="see 'inspire-sim params' for types and bounds",
    )


def _one_of(values, valid, source: str, field: str, what: str) -> None:
    """Raise InputError on the first of ``values`` not in ``valid``."""
    for v in values or ():
        if v not in valid:
            raise InputError(f"unknown {what} {v!r}", source=source, field=field, fix=unknown_key_fix(v, valid))


def _validate_countries(raw: dict[str, Any], source: str) -> list[Country]:
    countries_raw = raw.get("countries") or []
    if countries_raw:
        countries_raw = expand_countries(countries_raw, source)
    if not countries_raw:
        raise InputError(
            "no countries",
            source=source,
            field="countries",
            fix='add [[countries]] tables, or extends = "baseline.toml"',
        )
    countries = []
    for i, c in enumerate(countries_raw):
        try:
            countries.append(Country(**c))
        except ValidationError as exc:
            raise _pydantic_error(exc, Country, c, f"countries[{i}]", source) from None
        except TypeError:
            raise InputError(
                "must be a table",
                source=source,
                field=f"countries[{i}]",
                fix="write each country as a [[countries]] table",
            ) from None
    names = [c.name for c in countries]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InputError(
            f"duplicate country {sorted(dup)[0]!r}",
            source=source,
            field="countries",
            fix="give each country a unique name",
        )
    return countries


def _check_regions(regions: list[str] | None, countries: list[Country], source: str, field: str) -> None:
    """Refuse a region the scenario does not have: another country's (name it) or an unknown code (closest ones)."""
    from .regions import region_table

    mine = {r for c in countries for r in c.region_names}
    for r in regions or ():
        if r in mine:
            continue
        rec = region_table().get(r)
        if rec is not None:
            raise InputError(
                f"region {r} ({rec.name}) is in {rec.country}, not one of this scenario's countries",
                source=source,
                field=field,
                fix=f"add {rec.country} to the countries, or target regions of the scenario's countries",
            )
        close = difflib.get_close_matches(r, sorted(mine), n=3, cutoff=0.4)
        raise InputError(
            f"unknown region {r!r}",
            source=source,
            field=field,
            fix=(
                "use a NUTS-2 code of the scenario's countries; closest: " + ", ".join(close)
                if close
                else "use a NUTS-2 code of the scenario's countries, e.g. " + ", ".join(sorted(mine)[:3])
            ),
        )


def _validate_policy(p: Any, where: str, source: str, params: ModelParams, countries: list[Country]) -> PolicyParams:
    from .params import STAGE_NAMES

    if not isinstance(p, dict):
        raise InputError("must be a table", source=source, field=where, fix="write each as [[policies]]")
    kind = p.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InputError(
            "missing kind", source=source, field=f"{where}.kind", fix=f"add kind = one of {', '.join(LEVERS)}"
        )
    try:
        kind = resolve_kind(kind)
    except InputError as exc:
        raise InputError(exc.message, source=source, field=f"{where}.kind", fix=exc.fix) from None
    cls = LEVERS[kind]
    try:
        pol = cls(**p)
    except ValidationError as exc:
        raise _pydantic_error(exc, cls, p, f"{where}={kind}", source) from None
    names = [c.name for c in countries]
    if pol.countries != "all":
        by_code = {c.code: c.name for c in countries if c.code}
        pol.countries = [by_code.get(c, c) for c in pol.countries]  # codes name their countries too
        _one_of(pol.countries, [*names, *by_code, "all"], source, f"{where}.countries", "country")
    _check_regions(pol.regions, countries, source, f"{where}.regions")
    _one_of(pol.sectors, params.sectors, source, f"{where}.sectors", "sector")
    _one_of(getattr(pol, "target_stages", None), STAGE_NAMES, source, f"{where}.target_stages", "stage")
    if pol.start >= params.steps:
        raise InputError(
            f"start {pol.start} is not before the end of the run ({params.steps} months)",
            source=source,
            field=f"{where}.start",
            fix=f"run at least {pol.start + 1} months (--steps {pol.start + 1}), or give this measure a start "
            f"below {params.steps}",
        )
    return pol


def _validate(raw: dict[str, Any], source: str) -> Scenario:
    for key in raw:
        if key not in TOP_KEYS:
            raise InputError("unknown top-level key", source=source, field=key, fix=unknown_key_fix(key, TOP_KEYS))
    if "name" not in raw:
        raise InputError("missing", source=source, field="name", fix='add name = "..." at the top of the file')
    model_raw = raw.get("model", {})
    if not isinstance(model_raw, dict):
        raise InputError("must be a table", source=source, field="model", fix="write it as [model]")
    try:
        params = ModelParams(**model_raw)
    except ValidationError as exc:
        raise _pydantic_error(exc, ModelParams, model_raw, "model", source) from None
    countries = _validate_countries(raw, source)
    policies = [
        _validate_policy(p, f"policies[{i}]", source, params, countries)
        for i, p in enumerate(raw.get("policies") or [])
    ]
    total = raw.get("total_budget")
    if total is not None and (isinstance(total, bool) or not isinstance(total, (int, float)) or total < 0):
        raise InputError(
            f"must be a non-negative number of EUR (got {total!r})",
            source=source,
            field="total_budget",
            fix="write e.g. total_budget = 5000000.0, or remove it for no plan-wide cap",
        )
    return Scenario(
        total_budget=float(total) if total is not None else None,
        name=str(raw["name"]),
        description=str(raw.get("description", "")),
        params=params,
        countries=countries,
        policies=policies,
    )


def _parse_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    """The raw table and the bytes of one TOML file; unreadable or malformed files raise :class:`InputError`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        options = shipped_names()
        fix = f"check the path; shipped scenarios: {', '.join(options)}" if options else "check the path"
        raise InputError("file not found", source=str(path), fix=fix) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot read ({exc.strerror})", source=str(path), fix="give a readable .toml file") from None
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"TOML syntax error: {exc}", source=str(path), fix="correct the TOML syntax") from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=str(path), fix="save the file as UTF-8") from None
    return raw, data


def _merge_child(base: dict[str, Any], raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """``raw`` (a file that ``extends`` another) laid over its parent's table ``base``.

    Top-level keys replace the parent's, ``[model]`` merges key by key, and ``policies`` append to
    the parent's when ``inherit_policies = true`` (they replace them otherwise).
    """
    merged = copy.deepcopy(base)
    inherit = raw.pop("inherit_policies", False)
    if not isinstance(inherit, bool):
        raise InputError(
            "must be true or false", source=str(path), field="inherit_policies", fix="write inherit_policies = true"
        )
    for key, value in raw.items():
        if key == "policies" and inherit:
            merged["policies"] = list(merged.get("policies", [])) + list(value)
        elif key == "model":
            if not isinstance(value, dict):
                raise InputError("must be a table", source=str(path), field="model", fix="write it as [model]")
            merged["model"] = {**merged.get("model", {}), **value}
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], bytes]:
    """The raw scenario table of ``path`` with its ``extends`` chain resolved, and the bytes hashed for it."""
    if path in chain:
        raise InputError("extends forms a cycle", source=str(path), field="extends", fix="remove the cycle")
    raw, data = _parse_toml(path)
    parent = raw.pop("extends", None)
    if parent is None:
        if "inherit_policies" in raw:
            raise InputError(
                "needs extends",
                source=str(path),
                field="inherit_policies",
                fix='add extends = "baseline.toml" or remove inherit_policies',
            )
        return raw, data
    if not isinstance(parent, str):
        raise InputError(
            "must be a file name", source=str(path), field="extends", fix='write extends = "baseline.toml"'
        )
    base, pblob = _read_toml((path.parent / parent).resolve(), (*chain, path))
    return _merge_child(base, raw, path), pblob + b"\n" + data


def shipped_names(folder: Path = SCENARIO_DIR) -> list[str]:
    """The names (file stems) of the shipped ``*.toml`` files in ``folder``."""
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def resolve_path(path: str | Path, folder: Path = SCENARIO_DIR, kind: str = "scenario") -> Path:
    """A file path, or a bare name looked up in a shipped folder (default: the scenarios).

    An existing file wins. A bare name (no folder part) that is neither a file nor shipped raises
    :class:`InputError` naming the shipped ``kind`` s (``"baseline: no such scenario (fix: use
    one of: baseline, ...)"``); a path with a folder part is returned as given for the reader.
    """
    p = Path(path)
    if p.exists() or p.is_absolute() or p.parent != Path(".") or p.suffix not in ("", ".toml"):
        return p
    cand = folder / f"{p.stem}.toml"
    if cand.exists():
        return cand
    names = shipped_names(folder)
    if not names:
        raise InputError(f"no such file or shipped {kind}", source=str(path), fix="give the path to a .toml file")
    best = closest(p.stem, names)
    listing = ", ".join(names)
    fix = f"did you mean '{best}'? shipped: {listing}" if best else f"use one of: {listing}, or a path to a .toml file"
    raise InputError(f"no such {kind}", source=str(path), fix=fix)


def load_scenario(path: str | Path = "baseline", **overrides: Any) -> Scenario:
    """Load and validate a scenario file; keyword overrides as in :meth:`Scenario.with_overrides`.

    ``path`` may be a file path or the name of a shipped scenario (``"baseline"``).
    """
    p = resolve_path(path)
    raw, blob = _read_toml(p.resolve() if p.exists() else p)
    scen = _validate(raw, str(path))
    scen.path = str(p)
    scen.file_hash = hashlib.sha256(blob).hexdigest()
    if overrides:
        try:
            scen = scen.with_overrides(overrides)
        except InputError as exc:
            raise exc.with_source(str(path)) from None
    return scen


def list_scenarios() -> list[Path]:
    """The shipped scenario files."""
    return sorted(SCENARIO_DIR.glob("*.toml"))


# -- comparable scenarios (a plan against its baseline) ----------------------------------------
RECORDING_ONLY = frozenset({"panel_size"})
"""Model fields that change what is recorded, not what happens: plans may differ in them."""
ALLOW_FLAG = "--allow-different-populations"


def _differences(base: Scenario, plan: Scenario) -> list[tuple[str, Any, Any]]:
    """(field, plan value, baseline value) for every population or initial-condition difference.

    A plan should change policies only: every model parameter (but :data:`RECORDING_ONLY`) and
    every country attribute must equal the baseline's.
    """
    out = []
    for name in type(base.params).model_fields:
        if name in RECORDING_ONLY:
            continue
        a, b = getattr(plan.params, name), getattr(base.params, name)
        if a != b:
            out.append((f"model.{name}", a, b))
    theirs = {c.name: c for c in plan.countries}
    for mine in base.countries:
        other = theirs.get(mine.name)
        if other is None:
            continue
        for name in type(mine).model_fields:
            a, b = getattr(other, name), getattr(mine, name)
            if a != b:
                out.append((f"countries.{mine.name}.{name}", a, b))
    return out


def check_comparable(
    base: Scenario, plan: Scenario, base_name: str, name: str, *, allow_different_populations: bool
) -> None:
    """Refuse (one-line :class:`InputError` naming the field) a plan that is not comparable.

    Always: the same countries and the same number of months. Unless
    ``allow_different_populations``: the same SME population and initial conditions (every model
    parameter and country attribute), so that the effect is the policies' alone.
    """
    missing = [c for c in base.country_names if c not in plan.country_names]
    extra = [c for c in plan.country_names if c not in base.country_names]
    if missing or extra:
        what = "; ".join(
            x
            for x in [f"missing {', '.join(missing)}" if missing else "", f"extra {', '.join(extra)}" if extra else ""]
            if x
        )
        raise InputError(
            f"countries differ from the baseline {base_name!r} ({what})",
            source=name,
            field="countries",
            fix='compare plans over the baseline\'s countries (extends = "baseline.toml")',
        )
    if plan.params.steps != base.params.steps:
        raise InputError(
            f"runs {plan.params.steps} months, the baseline {base.params.steps}",
            source=name,
            field="model.steps",
            fix="give --steps to run every scenario for the same months",
        )
    if allow_different_populations:
        return
    diffs = _differences(base, plan)
    if diffs:
        field, a, b = diffs[0]
        more = f" and {len(diffs) - 1} more field(s)" if len(diffs) > 1 else ""
        raise InputError(
            f"differs from the baseline {base_name!r} ({a!r} vs {b!r}){more}: the effect would mix the plan's "
            "policies with a different population",
            source=name,
            field=field,
            fix=f"change only policies in the plan (or align it with --set), or give {ALLOW_FLAG}",
        )
