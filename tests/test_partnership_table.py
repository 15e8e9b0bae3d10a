"""The partnership log's table: values, order and dtypes as users see them in RunResult.partnerships."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inspire_sim.core.projects import COLUMNS, INTERNAL, OUTPUT_DTYPES, ProjectBook


def _book() -> ProjectBook:
    book = ProjectBook(keep_log=True)
    # three projects: ids 0, 1, 2; project 2 resolves first, then 0; 1 is still running
    book.start(
        start=np.array([0, 0, 1]),
        end=np.array([5, 9, 2]),
        lead=np.array([4, 7, 1]),
        partner=np.array([12, 3, 10]),
        lead_id=np.array([2**31 - 5, 8, 2]),
        partner_id=np.array([13, 4, 11]),
        partner_type=np.array([1, 0, 3]),
        lead_stage=np.array([0, 2, 3]),
        lead_country=np.array([1, 0, 1]),
        partner_country=np.array([0, 0, 1]),
        cross_border=np.array([True, False, False]),
        chemistry=np.array([0.5, -0.25, 1.0]),
    )
    book.close(np.array([2]), np.array([True]), np.array([False]))
    book.close(np.array([0]), np.array([False]), np.array([True]))
    return book


def test_table_rows_in_project_order_with_values_and_user_dtypes():
    df = _book().table(["Alpha", "Beta"])
    assert list(df.columns) == [k for k in COLUMNS if k not in INTERNAL]
    assert df.index.equals(pd.RangeIndex(3))
    assert df["project_id"].tolist() == [0, 1, 2]
    assert df["lead_id"].tolist() == [2**31 - 5, 8, 2]
    assert df["end"].tolist() == [5, 9, 2]
    assert df["resolved"].tolist() == [True, False, True]
    assert df["success"].tolist() == [False, False, True]
    assert df["false_failure"].tolist() == [True, False, False]
    assert df["chemistry"].tolist() == [0.5, -0.25, 1.0]
    for k in ("project_id", "lead_id", "partner_id"):
        assert df[k].dtype == np.int64
    categorical = {"partner_type", "lead_stage", "lead_country", "partner_country"}
    for k, dtype in COLUMNS.items():
        if k not in INTERNAL and k not in OUTPUT_DTYPES and k not in categorical:
            assert df[k].dtype == np.dtype(dtype), k
    assert df["partner_type"].tolist() == ["psr", "sme_peer", "crowd"]
    assert list(df["partner_type"].cat.categories) == ["sme_peer", "psr", "large_firm", "crowd"]
    assert df["lead_stage"].tolist() == ["exploration", "scaling_up", "commercialisation"]
    assert df["lead_country"].tolist() == ["Beta", "Alpha", "Beta"]
    assert list(df["partner_country"].cat.categories) == ["Alpha", "Beta"]


def test_table_of_an_empty_book_has_the_columns_and_dtypes():
    df = ProjectBook(keep_log=False).table(["Alpha"])
    assert len(df) == 0
    assert list(df.columns) == [k for k in COLUMNS if k not in INTERNAL]
    assert df["project_id"].dtype == np.int64 and isinstance(df["lead_country"].dtype, pd.CategoricalDtype)


def test_table_rejects_a_country_code_without_a_name():
    book = _book()
    with pytest.raises(ValueError):
        book.table(["Alpha"])  # code 1 has no name
