"""The comparison baseline: the matching rule written the idiomatic per-agent Mesa way.

Each SME is a ``mesa.Agent`` holding its own attributes (persona and vision vectors,
stage, confidence, cash, voucher, a ``{partner: trust}`` memory, experience per country);
each non-SME partner is a ``mesa.Agent`` too. One month is::

    model.agents_by_type[NaiveSME].do("finish_projects")   # free partners' capacity
    model.agents_by_type[NaiveSME].shuffle_do("search")    # the matching phase

and ``NaiveSME.search`` is a plain Python loop: decide to search
(``rules.search_probability``), draw ``n_candidates`` candidates (the most trusted past
partner first with probability ``trusted_first``; chance encounters of a type drawn with
the encounter shares, domestic with the country's probability (``home_bias`` scaled by size), else uniform among actors
of that type abroad; a matchmaker's screened domestic introductions while its monthly
capacity and budget last), compute each candidate's attractiveness with the *same*
formula by calling the scalar forms of ``inspire_sim.core.rules`` (``chemistry``,
``shared_vision``, ``STAGE_FIT``, ``border_friction``, ``attractiveness``), propose to the
best if it clears ``accept_threshold``, the partner accepts if the SME is attractive
enough to it, and capacities hold (SMEs are served in the shuffled order, so the first
come are served first, like the vectorised random queue).

The naive model starts from the exact state of a vectorised ``InspireModel`` (same
agents, personas, memories, loads, running projects) after a warm-up, so both versions
match the same population. Differences, all in the naive model's favour: it only runs
matching and the freeing of partners when projects end (outcomes there are a fixed-rate
coin with the trust update; no upkeep, policies, lifecycle, indicators), it evaluates
the partner's view only for the chosen candidate, and a partner filled earlier in the
month is skipped (the vectorised rule checks loads at the start of the month).

``--pure-python`` adds a second naive variant whose formulas are plain ``math`` on
tuples instead of scalar numpy calls: a faster per-agent baseline, to show how much of
the gap is per-call numpy overhead.

Usage (from the repository root)::

    .venv/bin/python benchmarks/mesa_naive.py                      # 1k and 10k, 3 reps
    .venv/bin/python benchmarks/mesa_naive.py --pure-python --reps 5

Each (size, repetition) runs in a fresh subprocess pinned to one CPU. Results: a
markdown table on stdout and ``benchmarks/results/mesa_naive.{json,md}``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from statistics import NormalDist
from typing import Any

import mesa
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results"
sys.path.insert(0, str(ROOT))

from inspire_sim.core import matching, rules  # noqa: E402
from inspire_sim.core.model import InspireModel  # noqa: E402
from inspire_sim.core.scenario import load_scenario  # noqa: E402

TARGET_RATIO = 30.0


# ---------------------------------------------------------------------- formulas
class NumpyRules:
    """Attractiveness by the scalar use of ``inspire_sim.core.rules`` (what a Mesa user reuses)."""

    def __init__(self, model: NaiveModel) -> None:
        p = model.p
        self.key, self.sd = model.chem_key, p.chemistry_pair_sd
        self.w = dict(w_chemistry=p.w_chemistry, w_vision=p.w_vision, w_stage_fit=p.w_stage_fit, w_trust=p.w_trust)
        self.scale, self.effect = p.friction_scale, p.experience_effect
        self.search = dict(
            search_rate=p.search_rate,
            strength_effect=p.strength_search_effect,
            min_confidence=p.min_confidence_to_search,
            cost_offset=p.search_cost_offset,
        )

    def search_probability(self, confidence, strength, net_share):
        return rules.search_probability(confidence, strength, net_share, **self.search)

    def chemistry(self, a, b):
        return rules.chemistry(a.persona, b.persona, a.pair_id, b.pair_id, self.key, self.sd)

    def shared_vision(self, a, b, alignment=0.0):
        return rules.shared_vision(a.vision, b.vision, alignment)

    def fit(self, ptype, stage):
        return rules.STAGE_FIT[ptype, stage]

    def friction(self, distance, experience):
        return rules.border_friction(distance, experience, self.scale, self.effect)

    def attractiveness(self, chem, vision, fit, trust, friction, search_cost):
        return rules.attractiveness(chem, vision, fit, trust, friction, search_cost, **self.w)


_M64 = (1 << 64) - 1
_INV_CDF = NormalDist().inv_cdf


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class PurePythonRules(NumpyRules):
    """The same formulas in plain Python (``math`` on tuples): a faster per-agent baseline."""

    def __init__(self, model: NaiveModel) -> None:
        super().__init__(model)
        self.key_int = int(self.key)
        self.fit_table = rules.STAGE_FIT.astype(float).tolist()

    def search_probability(self, confidence, strength, net_share):
        s = self.search
        if confidence < s["min_confidence"]:
            return 0.0
        mult = max(0.0, 1.0 + s["strength_effect"] * (2.0 * strength - 1.0))
        return min(max(s["search_rate"] * mult * confidence * (s["cost_offset"] - net_share), 0.0), 1.0)

    def chemistry(self, a, b):
        lo, hi = (a.pair_id, b.pair_id) if a.pair_id <= b.pair_id else (b.pair_id, a.pair_id)
        h = _splitmix64(_splitmix64(lo ^ self.key_int) ^ ((hi * 0xD6E8FEB86659FD93) & _M64))
        u = ((h >> 11) + 0.5) * (1.0 / 9007199254740992.0)
        return sum(x * y for x, y in zip(a.persona_t, b.persona_t, strict=True)) + self.sd * _INV_CDF(u)

    def shared_vision(self, a, b, alignment=0.0):
        base = 0.5 * (1.0 + sum(x * y for x, y in zip(a.vision_t, b.vision_t, strict=True)))
        return base + alignment * (1.0 - base)

    def fit(self, ptype, stage):
        return self.fit_table[ptype][stage]

    def friction(self, distance, experience):
        return self.scale * distance * math.exp(-self.effect * experience)

    def attractiveness(self, chem, vision, fit, trust, friction, search_cost):
        w = self.w
        return (
            w["w_chemistry"] * chem
            + w["w_vision"] * (vision - 0.5)
            + w["w_stage_fit"] * (fit - 0.5)
            + w["w_trust"] * trust
            - friction
            - search_cost
        )


# ---------------------------------------------------------------------- agents
class NaiveActor(mesa.Agent):
    """Anything that can be a partner: country, type, persona, vision, capacity, load."""

    def __init__(self, model, *, ptype, country, persona, vision, capability, capacity, load, pair_id):
        super().__init__(model)
        self.ptype = ptype
        self.country = country
        self.persona = persona  # numpy (d,) float32
        self.vision = vision
        self.persona_t = tuple(float(x) for x in persona)  # the pure-Python variant's copy
        self.vision_t = tuple(float(x) for x in vision)
        self.capability = capability
        self.capacity = capacity
        self.load = load
        self.pair_id = pair_id  # the vectorised model's unique_id: same pair chemistry


class NaivePartner(NaiveActor):
    """A research organisation, large firm, crowd or non-modelled peer."""


class NaiveSME(NaiveActor):
    """An SME leading its own partner search."""

    def __init__(
        self, model, *, stage, confidence, cash, voucher, innovative, resource_focus, vision_align, experience, **kw
    ):
        super().__init__(model, **kw)
        self.stage = stage
        self.confidence = confidence
        self.cash = cash
        self.voucher = voucher
        self.innovative = innovative
        self.resource_focus = resource_focus
        self.vision_align = vision_align
        self.experience = experience  # list: projects with each country
        self.memory: dict[NaiveActor, float] = {}  # past partner -> trust
        self.projects: list[tuple[NaiveActor, int, bool]] = []  # (partner, end month, foreign)
        self.n_lead = 0

    # -- phase: projects that end free their partner
    def finish_projects(self) -> None:
        if not self.projects:
            return
        m, p = self.model, self.model.p
        still = []
        for partner, end, foreign in self.projects:
            if end > m.cur_month:
                still.append((partner, end, foreign))
                continue
            success = self.random.random() < m.stand_in_success
            self.remember(partner, p.trust_gain if success else -p.trust_loss)
            if foreign:
                self.experience[partner.country] += 1.0
            partner.load -= 1
            self.n_lead -= 1
        self.projects = still

    def remember(self, partner: NaiveActor, delta: float) -> None:
        if partner not in self.memory and len(self.memory) >= self.model.p.memory_slots:
            del self.memory[min(self.memory, key=lambda a: self.memory[a])]  # forget the least trusted
        self.memory[partner] = min(1.0, max(-1.0, self.memory.get(partner, 0.0) + delta))

    # -- phase: partner search and matching
    def search(self) -> None:
        m, p = self.model, self.model.p
        if not self.innovative or self.n_lead >= p.max_concurrent_projects:
            return
        cost = p.project_cost
        net_share = min(max(1.0 - self.voucher / cost, 0.0), 1.0) if cost > 0 else 0.0
        if self.cash < cost * net_share:
            return
        if self.random.random() >= m.r.search_probability(self.confidence, m.strength[self.country], net_share):
            return
        m.seekers += 1
        best, best_a, best_f = None, -math.inf, None
        for cand in self.draw_candidates():
            if cand is None or cand is self or cand.load >= cand.capacity:
                continue
            f = self.appraise(cand)
            if f[0] > best_a:
                best, best_a, best_f = cand, f[0], f
        if best is None or best_f is None or best_a <= p.accept_threshold:
            return
        _, chem, vision, trust, friction = best_f
        if m.r.attractiveness(chem, vision, self.capability, trust, friction, 0.0) <= p.accept_threshold:
            return  # the partner declines
        self.start_project(best, chem)

    def draw_candidates(self) -> list[NaiveActor | None]:
        m, p, rnd = self.model, self.model.p, self.random
        cands: list[NaiveActor | None] = []
        for _ in range(p.n_candidates):
            t = min(bisect.bisect_right(m.encounter_cum, rnd.random()), 3)
            home = rnd.random() < m.domestic_prob[self.country]
            pool = m.by_tc[t][self.country] if home else m.foreign_tc[t][self.country]
            cands.append(rnd.choice(pool) if pool else None)
        if self.memory and rnd.random() < p.trusted_first:
            trusted = [(tr, a) for a, tr in self.memory.items() if tr >= 0]
            if trusted:
                cands[0] = max(trusted, key=lambda x: x[0])[1]
        mm = m.matchmaker
        if mm is not None and mm["left"][self.country] > 0 and mm["budget"] >= mm["cost"][self.country]:
            mm["left"][self.country] -= 1
            mm["budget"] -= mm["cost"][self.country]
            cands.extend(self.introductions(mm["pool"], mm["extra"]))
        return cands

    def introductions(self, pool: int, extra: int) -> list[NaiveActor]:
        """A matchmaker screens ``pool`` domestic actors and introduces the best ``extra``."""
        m = self.model
        scored = []
        for _ in range(pool):
            t = self.random.choices(range(4), weights=m.fit2[self.stage])[0]
            actors = m.by_tc[t][self.country]
            if not actors:
                continue
            c = self.random.choice(actors)
            if c is self:
                continue
            score = m.r.chemistry(self, c) + m.r.shared_vision(self, c) + m.r.fit(c.ptype, self.stage)
            scored.append((score, c))
        scored.sort(key=lambda x: -x[0])
        return [c for _, c in scored[:extra]]

    def appraise(self, c: NaiveActor):
        m, p, r = self.model, self.model.p, self.model.r
        chem = r.chemistry(self, c)
        vision = r.shared_vision(self, c, self.vision_align)
        fit = r.fit(c.ptype, self.stage)
        trust = self.memory.get(c, 0.0)
        friction = r.friction(m.distance[self.country][c.country], self.experience[c.country])
        search_cost = 0.0
        if c.country != self.country:
            search_cost = p.search_cost_foreign * (1.0 + p.resource_focus_trap * self.resource_focus)
        return r.attractiveness(chem, vision, fit, trust, friction, search_cost), chem, vision, trust, friction

    def start_project(self, partner: NaiveActor, chem: float) -> None:
        m, p = self.model, self.model.p
        partner.load += 1
        self.n_lead += 1
        self.cash -= p.project_cost
        self.voucher = 0.0
        u = self.random.random()
        dur = 1 + max(1, math.ceil(math.log(1.0 - u) / math.log(1.0 - m.q)))
        foreign = partner.country != self.country
        self.projects.append((partner, m.cur_month + dur, foreign))
        m.matches.append((partner.ptype, foreign, chem))


# ---------------------------------------------------------------------- model
class NaiveModel(mesa.Model):
    """Per-agent Mesa model of the matching phase, built from a vectorised model's state."""

    STAND_IN_SUCCESS = 0.6  # project outcome in the naive model: a coin (outcomes are not matching)

    def __init__(self, source: InspireModel, *, pure_python: bool = False, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.p = p = source.p
        w = source.world
        self.chem_key = w.chem_key[0]  # a single run: run 0
        self.r = PurePythonRules(self) if pure_python else NumpyRules(self)
        self.cur_month = int(w.month)  # the month the vectorised model would run next
        self.strength = source.strength.astype(float).tolist()
        self.distance = source.distance.astype(float).tolist()
        self.encounter_cum = [float(x) for x in w.index.encounter_cum]
        self.domestic_prob = [float(x) for x in w.domestic_prob[0]]  # home_bias scaled by country size (run 0)
        self.fit2 = (rules.STAGE_FIT.astype(float) ** 2).T.tolist()  # [stage][type]
        self.q = 1.0 / max(p.duration_mean - 1.0, 1.0)
        self.stand_in_success = self.STAND_IN_SUCCESS
        s, a, n = source.sme, source.actors, source.n
        # the levers' subsidies toward each SME's next project (support funding's vouchers)
        voucher = np.zeros(n)
        for pol in w.policies:
            extra = pol.subsidy(w, self.cur_month)
            if extra is not None:
                voucher += extra
        actors: list[NaiveActor] = []
        for j in range(source.m):
            common = dict(
                ptype=int(a.ptype[j]),
                country=int(a.country[j]),
                persona=a.persona[j].copy(),
                vision=a.vision[j].copy(),
                capability=float(a.capability[j]),
                capacity=int(a.capacity[j]),
                load=int(a.load[j]),
                pair_id=int(a.uid[j]),
            )
            if j < n:
                actors.append(
                    NaiveSME(
                        self,
                        stage=int(s.stage[j]),
                        confidence=float(s.confidence[j]),
                        cash=float(s.cash[j]),
                        voucher=float(voucher[j]),
                        innovative=bool(s.innovative[j] and not s.abandoned[j]),
                        resource_focus=bool(s.resource_focus[j]),
                        vision_align=float(s.vision_align[j]),
                        experience=s.experience[j].astype(float).tolist(),
                        **common,
                    )
                )
            else:
                actors.append(NaivePartner(self, **common))
        for i in range(n):
            sme = actors[i]
            for j, tr in zip(s.mem_partner[i], s.mem_trust[i], strict=True):
                if j >= 0:
                    sme.memory[actors[j]] = float(tr)
            sme.n_lead = int(s.n_lead[i])
        run = source.projects.running
        for lead, partner, end, xb in zip(run["lead"], run["partner"], run["end"], run["cross_border"], strict=True):
            actors[int(lead)].projects.append((actors[int(partner)], int(end), bool(xb)))
        nc = source.n_countries
        self.by_tc: list[list[list[NaiveActor]]] = [[[] for _ in range(nc)] for _ in range(4)]
        for ag in actors:
            self.by_tc[ag.ptype][ag.country].append(ag)
        self.foreign_tc = [
            [[ag for c2 in range(nc) if c2 != c for ag in self.by_tc[t][c2]] for c in range(nc)] for t in range(4)
        ]
        mm = [pol for pol in source.policies if pol.kind == "matchmaking"]
        self.mm_policy = mm[0] if mm else None
        self.world = w
        self.matchmaker: dict[str, Any] | None = None
        self.seekers = 0
        self.matches: list[tuple[int, bool, float]] = []
        self.match_s = self.match_cpu = 0.0
        self.step_s = self.step_cpu = 0.0

    def open_matchmaker(self) -> None:
        pol = self.mm_policy
        if pol is None or not pol.active(self.cur_month):
            self.matchmaker = None
            return
        sp, w = pol.spec, self.world
        # capacities are real SMEs per country (scaled to the simulated ones), costs real EUR per
        # real SME (one simulated SME served costs its country's weight in real SMEs)
        left = [int(x) for x in pol.scaled_capacity(w, self.cur_month)[0]]  # (runs, countries): one run here
        budget = sp.budget_per_step if sp.budget_per_step is not None else math.inf
        cost = [float(sp.cost_per_service * x) for x in w.weight]
        self.matchmaker = dict(left=left, budget=budget, cost=cost, pool=sp.screening_pool, extra=sp.extra_candidates)

    def step(self) -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        smes = self.agents_by_type[NaiveSME]
        smes.do("finish_projects")
        self.open_matchmaker()
        t1, c1 = time.perf_counter(), time.process_time()
        smes.shuffle_do("search")
        t2, c2 = time.perf_counter(), time.process_time()
        self.match_s += t2 - t1
        self.step_s += t2 - t0
        self.match_cpu += c2 - c1
        self.step_cpu += c2 - c0
        self.cur_month += 1


# ---------------------------------------------------------------------- checks
def check_same_formula(v: InspireModel, naive: NaiveModel, month: int, k: int = 300) -> float:
    """Max |attractiveness difference| between the vectorised ``evaluate`` and the naive
    ``appraise`` on (seeker, candidate) pairs of one month's vectorised candidates."""
    seekers = matching.find_seekers(v.world, month)
    c = matching.draw_candidates(v.world, seekers, month)
    f = matching.evaluate(v.world, c)
    rows, cols = np.nonzero(f["valid"] & (f["reduction"] == 0))  # brokered pairs have less friction
    actors = list(naive.agents_by_type[NaiveSME]) + list(naive.agents_by_type[NaivePartner])
    by_idx = {}
    for ag in actors:
        by_idx[ag.pair_id] = ag
    worst = 0.0
    for r_, c_ in list(zip(rows, cols, strict=True))[:k]:
        i, j = int(seekers[r_]), int(f["actor"][r_, c_])
        a, b = by_idx[int(v.actors.uid[i])], by_idx[int(v.actors.uid[j])]
        worst = max(worst, abs(float(a.appraise(b)[0]) - float(f["attract"][r_, c_])))
    return worst


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---------------------------------------------------------------------- child
def child(n: int, seed: int, warmup: int, months: int, pure_python: bool) -> dict:
    """Both versions from the same state: vectorised warm-up, then ``months`` of each."""
    import gc
    import resource

    scen = load_scenario("baseline", n_smes=n)
    v = InspireModel(scen, seed=seed)
    v.run_months(warmup)
    rss0 = _rss_mb()
    t = time.perf_counter()
    variants = {"naive": NaiveModel(v, seed=seed)}
    naive_init_s = time.perf_counter() - t
    rss1 = _rss_mb()
    if pure_python:
        variants["naive_pure_python"] = NaiveModel(v, pure_python=True, seed=seed)
    diffs = {k: check_same_formula(v, m, int(v.world.month)) for k, m in variants.items()}
    out: dict = {
        "n_smes": n,
        "seed": seed,
        "warmup": warmup,
        "months": months,
        "formula_max_abs_diff": diffs,
        "naive_init_s": round(naive_init_s, 4),
        "naive_model_mb": round(rss1 - rss0, 1),
    }
    gc.collect()
    for name, m in variants.items():
        for _ in range(months):
            m.step()
        xb = [f for _, f, _ in m.matches]
        out[name] = {
            "match_s": m.match_s,
            "step_s": m.step_s,
            "match_cpu": m.match_cpu,
            "step_cpu": m.step_cpu,
            "seekers": m.seekers,
            "matches": len(m.matches),
            "cross_border_share": (sum(xb) / len(xb)) if xb else float("nan"),
            "mean_chemistry": statistics.fmean(c for _, _, c in m.matches) if m.matches else float("nan"),
            "type_counts": [sum(1 for t, _, _ in m.matches if t == k) for k in range(4)],
        }
    # the vectorised model, same state, same months: whole step and the matching phase
    orig = matching.match
    acc: dict[str, Any] = {
        "match_s": 0.0,
        "match_cpu": 0.0,
        "seekers": 0,
        "matches": 0,
        "xb": 0,
        "chem": 0.0,
        "types": np.zeros(4, dtype=int),
    }

    def timed(world, month):
        t0, c0 = time.perf_counter(), time.process_time()
        res = orig(world, month)
        acc["match_s"] += time.perf_counter() - t0
        acc["match_cpu"] += time.process_time() - c0
        new = res.new
        acc["seekers"] += int(res.seekers.sum())  # per run (one run here)
        acc["matches"] += len(new["lead"])
        acc["xb"] += int(new["cross_border"].sum())
        acc["chem"] += float(new["chemistry"].sum())
        acc["types"] += np.bincount(world.actors.ptype[new["partner"]], minlength=4)
        return res

    matching.match = timed
    c0 = time.process_time()
    try:
        step_s = v.run_months(months)
        step_cpu = time.process_time() - c0
    finally:
        matching.match = orig
    out["vectorised"] = {
        "match_s": acc["match_s"],
        "step_s": step_s,
        "match_cpu": acc["match_cpu"],
        "step_cpu": step_cpu,
        "seekers": acc["seekers"],
        "matches": acc["matches"],
        "cross_border_share": acc["xb"] / acc["matches"] if acc["matches"] else float("nan"),
        "mean_chemistry": acc["chem"] / acc["matches"] if acc["matches"] else float("nan"),
        "type_counts": acc["types"].tolist(),
    }
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


# ---------------------------------------------------------------------- parent
def spawn(n: int, seed: int, warmup: int, months: int, pure_python: bool, cpu: int | None) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(n),
        "--seed",
        str(seed),
        "--warmup",
        str(warmup),
        "--months",
        str(months),
    ] + (["--pure-python"] if pure_python else [])
    pre = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    res = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, preexec_fn=pre)
    if res.returncode != 0:
        raise RuntimeError(f"child n={n} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict], variants: list[str]) -> dict:
    n, months = runs[0]["n_smes"], runs[0]["months"]
    sme_steps = n * months
    med = statistics.median
    s: dict = {"n_smes": n, "months": months, "reps": len(runs)}
    for v in ["vectorised", *variants]:
        s[v] = {k: med(r[v][k] for r in runs) for k in ("match_s", "step_s", "match_cpu", "step_cpu")}
        s[v].update(
            seekers_per_month=statistics.fmean(r[v]["seekers"] for r in runs) / months,
            matches_per_month=statistics.fmean(r[v]["matches"] for r in runs) / months,
            cross_border_share=statistics.fmean(r[v]["cross_border_share"] for r in runs),
            mean_chemistry=statistics.fmean(r[v]["mean_chemistry"] for r in runs),
        )
        for k in ("match_s", "step_s", "match_cpu", "step_cpu"):
            s[v][f"{k}_sme_steps_per_s"] = sme_steps / s[v][k]
    for v in variants:
        # ratios computed within each run (same process, same minutes), then the median and range
        for k in ("match_s", "step_s", "match_cpu", "step_cpu"):
            ratios = [r[v][k] / r["vectorised"][k] for r in runs]
            s[v][f"ratio_{k}"] = med(ratios)
            s[v][f"ratio_{k}_range"] = [min(ratios), max(ratios)]
    s["naive_model_mb"] = med(r["naive_model_mb"] for r in runs)
    s["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    s["formula_max_abs_diff"] = max(max(r["formula_max_abs_diff"].values()) for r in runs)
    return s


def _ratio(x: dict, k: str) -> str:
    lo, hi = x[f"ratio_{k}_range"]
    fmt = (lambda y: f"{y:.0f}") if x[f"ratio_{k}"] >= 10 else (lambda y: f"{y:.1f}")
    return f"{fmt(x[f'ratio_{k}'])}x ({fmt(lo)}-{fmt(hi)})"


def markdown(summary: list[dict], variants: list[str], meta: dict) -> str:
    lines = [
        f"Per-agent Mesa matching vs the vectorised model, baseline scenario, {summary[0]['months']} months after a "
        f"{meta['warmup']}-month warm-up, same state; median of {summary[0]['reps']} reps, one core "
        f"(git {meta['git']}, {meta['date']}, load before/after {meta['load_before']}/{meta['load_after']}).",
        "",
        "| n_smes | version | matching SME-steps/s (wall / CPU) | whole step SME-steps/s (wall / CPU) "
        "| seekers/month"
        " | matches/month | cross-border share | matching ratio (wall / CPU) | step ratio (wall / CPU) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summary:
        for v in ["vectorised", *variants]:
            x = s[v]
            rm = f"{_ratio(x, 'match_s')} / {_ratio(x, 'match_cpu')}" if v != "vectorised" else "1"
            rs = f"{_ratio(x, 'step_s')} / {_ratio(x, 'step_cpu')}" if v != "vectorised" else "1"
            lines.append(
                f"| {s['n_smes']:,} | {v} | {x['match_s_sme_steps_per_s'] / 1e6:.3f} M "
                f"/ {x['match_cpu_sme_steps_per_s'] / 1e6:.3f} M "
                f"| {x['step_s_sme_steps_per_s'] / 1e6:.3f} M / {x['step_cpu_sme_steps_per_s'] / 1e6:.3f} M "
                f"| {x['seekers_per_month']:.1f} | {x['matches_per_month']:.1f} "
                f"| {x['cross_border_share']:.2f} | {rm} | {rs} |"
            )
    lines += [
        "",
        'matching = the matching phase (vectorised: `matching.match`; naive: `shuffle_do("search")`); '
        "whole step = a month (vectorised: every phase of `InspireModel.step`: policies, upkeep incl. exits/entries, "
        "matching, projects, stages, indicators; naive: only matching plus freeing partners when projects end). "
        "Ratio = naive time / vectorised time for the same SMEs and months (so also per SME-step), computed within "
        "each run, median (min-max over reps). CPU = process CPU time (robust when other jobs share the core).",
        "",
        "Naive model memory (RSS growth when building it from the vectorised state): "
        + ", ".join(f"{s['n_smes']:,} SMEs {s['naive_model_mb']:.0f} MB" for s in summary)
        + f". Same-formula check: max |attractiveness difference| between naive `appraise` and vectorised "
        f"`evaluate` on vectorised candidate pairs = {max(s['formula_max_abs_diff'] for s in summary):.1e}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=24, help="vectorised months before the comparison")
    ap.add_argument("--months", type=int, default=12, help="months timed for each version")
    ap.add_argument("--pure-python", action="store_true", help="also time the pure-Python naive variant")
    ap.add_argument("--cpu", type=int, default=None, help="CPU to pin children to (default: the last); -1: none")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child is not None:
        print(json.dumps(child(args.child, args.seed, args.warmup, args.months, args.pure_python)))
        return 0

    sys.path.insert(0, str(HERE))
    from bench_model import git_revision, machine

    cpu = None if args.cpu == -1 else (args.cpu if args.cpu is not None else max(os.sched_getaffinity(0)))
    variants = ["naive"] + (["naive_pure_python"] if args.pure_python else [])
    meta = {
        "git": git_revision(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "pinned_cpu": cpu,
        "warmup": args.warmup,
        "load_before": round(os.getloadavg()[0], 2),
    }
    runs: dict[int, list[dict]] = {n: [] for n in args.sizes}
    for rep in range(args.reps):
        for n in args.sizes:
            r = spawn(n, args.seed + rep, args.warmup, args.months, args.pure_python, cpu)
            runs[n].append(r)
            msg = " ".join(
                f"{v} match {r[v]['match_s']:.3f}s/{r[v]['match_cpu']:.3f}cpu step {r[v]['step_s']:.3f}s"
                for v in ["vectorised", *variants]
            )
            print(f"  rep {rep + 1}: n={n:>7,} {msg}", file=sys.stderr, flush=True)
    meta["load_after"] = round(os.getloadavg()[0], 2)
    summary = [summarise(runs[n], variants) for n in args.sizes]
    md = markdown(summary, variants, meta)
    print(md)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mesa_naive.json").write_text(json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=2))
    (args.out / "mesa_naive.md").write_text(md + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
