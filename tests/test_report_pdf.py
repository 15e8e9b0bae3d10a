"""``compare`` prints its report to an A4 report.pdf whose first page is the executive summary."""

from __future__ import annotations

import re

import pytest

from inspire_sim.cli import main


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.browser
@pytest.mark.slow
def test_compare_writes_an_a4_pdf_with_the_summary_on_page_one(tmp_path, capsys):
    pypdf = pytest.importorskip("pypdf")
    import pandas as pd

    from inspire_sim.analyses.decision import sentences

    out = tmp_path / "out"
    args = ["compare", "baseline", "national_funding", "cross_border_brokering", "-r", "3", "-t", "24"]
    assert main([*args, "-n", "300", "-w", "1", "-q", "--bootstrap", "200", "--pdf", "-o", str(out)]) == 0
    assert "report.pdf" in capsys.readouterr().out
    reader = pypdf.PdfReader(out / "report.pdf")
    assert len(reader.pages) >= 4  # summary, then the tables, figures and guide
    for page in reader.pages:
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert w == pytest.approx(595.3, abs=1.5) and h == pytest.approx(841.9, abs=1.5)  # A4 portrait
    first = _words(reader.pages[0].extract_text())
    assert "Executive summary" in first and "Which plan for which goal" in first
    assert "At a glance" not in first  # the detail starts on page 2
    dec = pd.read_csv(out / "decision.csv")
    for sentence in sentences(dec):
        assert _words(sentence)[:60] in first, sentence


def test_pdf_flag_without_chromium_is_a_one_line_error_after_the_report(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INSPIRE_CHROMIUM", str(tmp_path / "no_chromium"))
    out = tmp_path / "out"
    args = ["compare", "baseline", "national_funding", "-r", "2", "-t", "3", "-n", "100", "-w", "1", "-q"]
    assert main([*args, "--bootstrap", "100", "--no-figures", "--pdf", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--pdf" in err[0] and "--no-pdf" in err[0]
    assert (out / "report.html").is_file() and not (out / "report.pdf").exists()  # nothing computed is lost
    # without --pdf: a one-line note, exit 0
    assert main([*args, "--bootstrap", "100", "--no-figures", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "no report.pdf" in err and "--no-pdf" in err
