"""run and compare never write into a folder that is not theirs (marker file); default names are safe."""

from __future__ import annotations

import pytest

import inspire_sim as I
from inspire_sim.cli import main
from inspire_sim.outdir import MARKER, claim, owner, safe_name

SMALL = ["--replications", "1", "--steps", "3", "--n-smes", "200", "--no-figures", "--quiet"]


def test_run_refuses_a_foreign_folder_and_leaves_it_untouched(tmp_path, capsys) -> None:
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "manifest.json").write_text("my own work")
    assert main(["run", "baseline", *SMALL, "--out", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert "not written by inspire-sim" in err and err.count("\n") == 1
    assert (foreign / "manifest.json").read_text() == "my own work" and not (foreign / MARKER).exists()


def test_run_reuses_its_own_folder_and_compare_refuses_it(tmp_path, capsys) -> None:
    out = tmp_path / "r"
    assert main(["run", "baseline", *SMALL, "--out", str(out)]) == 0
    assert owner(out) == "run"
    assert main(["run", "baseline", *SMALL, "--out", str(out)]) == 0  # its own folder: fine
    code = main(["compare", "baseline", "national_funding", "--replications", "2", "--steps", "3", "--n-smes", "200",
                 "--no-pdf", "--no-figures", "--quiet", "--out", str(out)])  # fmt: skip
    assert code == 2 and "holds the output of 'inspire-sim run'" in capsys.readouterr().err


def test_empty_folders_are_claimed_and_names_are_made_safe(tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert claim(empty, "compare") == empty and owner(empty) == "compare"
    assert safe_name("../../etc/passwd") == "etc_passwd" and safe_name("/abs/x y") == "abs_x_y"
    assert safe_name("..") == "output"
    with pytest.raises(I.InputError, match="not a directory"):
        (tmp_path / "f").write_text("x")
        claim(tmp_path / "f", "run")
