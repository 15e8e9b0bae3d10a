"""Parameter hygiene: every declared parameter is read by the model, none is declared twice."""

from __future__ import annotations

import re
from pathlib import Path

from inspire_sim.core.params import Country, ModelParams, PolicyParams
from inspire_sim.levers import LEVERS, SHIPPED

PKG = Path(__file__).resolve().parent.parent / "inspire_sim"
SKIP_DIRS = {"experiments", "cli", "templates"}


def _sources() -> str:
    """The package's core code (not the UI, CLI or experiment layers), declarations stripped."""
    texts = []
    for path in PKG.rglob("*.py"):
        if SKIP_DIRS & set(path.relative_to(PKG).parts) or path.name in {"app.py", "report.py", "compare.py", "cli.py"}:
            continue
        text = path.read_text()
        text = re.sub(r"^    \w+: [^=\n]+= (param|Field)\(", "    <declaration>(", text, flags=re.M)
        texts.append(text)
    return "\n".join(texts)


def _unread(fields: list[str], text: str) -> list[str]:
    return [f for f in fields if not re.search(rf"(\.{f}\b|[\"']{f}[\"'])", text)]


def test_every_model_parameter_is_read():
    assert _unread(list(ModelParams.model_fields), _sources()) == []


def test_every_lever_and_country_field_is_read():
    text = _sources()
    fields = set(Country.model_fields) | set(PolicyParams.model_fields)
    for kind in SHIPPED:  # user levers (registered by other tests) are read by their own modules
        fields |= set(LEVERS[kind].model_fields)
    assert _unread(sorted(fields), text) == []


def test_the_check_can_fail():
    assert _unread(["no_such_parameter_anywhere"], _sources()) == ["no_such_parameter_anywhere"]


def test_no_parameter_is_declared_twice():
    model = set(ModelParams.model_fields)
    for kind in SHIPPED:
        cls = LEVERS[kind]
        dup = (set(cls.model_fields) - set(PolicyParams.model_fields)) & model
        assert not dup, f"{kind} re-declares model parameters {dup}"
