"""The offline country tile map and the A4 PDF printer."""

from __future__ import annotations

import numpy as np
import pytest

import inspire_sim as I
from inspire_sim.reports.cartogram import TILES, cartogram


def test_every_eu_country_has_its_own_tile_and_code() -> None:
    assert len(TILES) == 27
    cells = {(c, r) for _, c, r in TILES.values()}
    codes = {code for code, _, _ in TILES.values()}
    assert len(cells) == 27 and len(codes) == 27


def test_cartogram_colours_simulated_countries_and_names_the_rest(tmp_path) -> None:
    fig = cartogram({"Germany": 1.5, "Spain": -0.5, "Atlantis": 2.0}, title="t", unit="pp")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "+1.5 pp" in texts and "-0.5 pp" in texts and "DE" in texts and "EL" in texts
    notes = " ".join(t.get_text() for t in fig.texts)
    assert "Atlantis" in notes
    grey = [p for p in fig.axes[0].patches if p.get_facecolor()[:3] == pytest.approx((0.93, 0.93, 0.93))]
    assert len(grey) == 25  # all but Germany and Spain
    fig.savefig(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 10_000


@pytest.mark.browser
def test_html_prints_to_a4_pdf_with_its_text(tmp_path) -> None:
    pypdf = pytest.importorskip("pypdf")
    from inspire_sim.reports.pdf import html_to_pdf

    html = tmp_path / "r.html"
    html.write_text("<html><body><h1>Executive summary</h1>" + "<p>row</p>" * 150 + "</body></html>")
    pdf = html_to_pdf(html, tmp_path / "r.pdf")
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) >= 2
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert width == pytest.approx(595.3, abs=1.5) and height == pytest.approx(841.9, abs=1.5)  # A4 in points
    assert "Executive summary" in reader.pages[0].extract_text()


def test_missing_chromium_is_one_line(monkeypatch) -> None:
    from inspire_sim.reports import pdf

    monkeypatch.setenv("INSPIRE_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(I.InputError, match="INSPIRE_CHROMIUM"):
        pdf.chromium_path()


def test_maps_drawn_with_one_span_share_their_colour_scale() -> None:
    a = cartogram({"Germany": 1.0}, title="a", unit="pp", span=4.0)
    b = cartogram({"Germany": 1.0, "Spain": -0.5}, title="b", unit="pp", span=4.0)
    own = cartogram({"Germany": 1.0}, title="c", unit="pp")

    def germany(fig):
        return next(p.get_facecolor() for p in fig.axes[0].patches if p.get_x() == 3 and p.get_y() == -2)

    assert germany(a) == germany(b) != germany(own)  # without a span, 1.0 is the darkest blue


def test_region_map_draws_every_nuts2_region_and_marks_clear_effects() -> None:
    from matplotlib.colors import to_rgba

    from inspire_sim.core.regions import region_table
    from inspire_sim.reports.cartogram import region_map

    codes = sorted(region_table())
    assert len(codes) >= 240
    values = {"DE11": 5.0, "ITC4": -5.0}
    fig = region_map(values, title="t", unit="u", low={"DE11": 1.0, "ITC4": -9.0}, high={"DE11": 9.0, "ITC4": 1.0})
    ax = fig.axes[0]
    # one marker per region, in the table's order
    assert len(ax.collections) == len(codes)
    by_code = dict(zip(codes, ax.collections, strict=True))
    grey = to_rgba((0.9, 0.9, 0.9))

    def face(code: str) -> np.ndarray:
        return np.asarray(by_code[code].get_facecolor(), dtype=float)[0]

    def edges(code: str) -> np.ndarray:
        return np.asarray(by_code[code].get_edgecolor(), dtype=float).reshape(-1, 4)

    assert tuple(face("FI1B")) == pytest.approx(grey)
    assert face("DE11")[2] > face("DE11")[0]  # a gain is blue
    assert face("ITC4")[0] > face("ITC4")[2]  # a loss is red
    assert tuple(edges("DE11")[0]) == pytest.approx(to_rgba("black"))  # its CI excludes 0
    assert len(edges("ITC4")) == 0 or edges("ITC4")[0][3] == 0  # its CI includes 0: no edge
