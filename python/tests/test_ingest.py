"""Ingest from Python: reports, errors naming file and line, and a store that survives them."""

from __future__ import annotations

from pathlib import Path

import pytest

import parquetry


def test_ingest_reports_and_bad_lines_name_file_and_line(tmp_path: Path) -> None:
    db = parquetry.open(tmp_path / "store")
    good = tmp_path / "good.prom"
    good.write_text('up{job="a"} 1 1000\nup{job="b"} 1 1000\n')
    report = db.ingest(good)
    assert (report.files, report.series, report.samples) == (1, 2, 2)
    assert "2 samples" in str(report)

    bad = tmp_path / "bad.prom"
    bad.write_text('up{job="c"} 1 2000\nup{job="c" 1 3000\n')
    with pytest.raises(parquetry.IngestError) as caught:
        db.ingest(bad)
    err = caught.value
    assert (Path(err.file).name, err.line) == ("bad.prom", 2)
    assert "bad.prom:2:" in str(err)
    # Nothing of the bad file was committed; the earlier commit is intact.
    assert db.series("up").num_rows == 2

    report = db.ingest([bad], skip_invalid=True)
    assert (report.samples, report.skipped_lines) == (1, 1)
    assert db.series("up").num_rows == 3


def test_folders_formats_and_missing_stores(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"metric":"m","labels":{"k":"1"},"timestamp_ms":1000,"value":1}\n')
    (folder / "b.csv").write_text('metric,labels,timestamp_ms,value\nm,"{k=""2""}",1000,2\n')
    db = parquetry.open(tmp_path / "store")
    assert db.ingest(folder).files == 2
    assert db.promql_instant("sum(m)", time=1).to_pandas()["value"].tolist() == [3.0]
    with pytest.raises(ValueError, match="unknown format"):
        db.ingest(folder / "a.jsonl", format="xml")
    with pytest.raises(parquetry.IngestError, match="nope.om"):
        db.ingest(tmp_path / "nope.om")
    with pytest.raises(parquetry.StoreError):
        parquetry.open(tmp_path / "elsewhere", create=False)


def test_a_corrupt_data_file_met_by_sql_is_a_store_error(tmp_path):
    store = tmp_path / "store"
    source = tmp_path / "up.prom"
    source.write_text('up{job="a"} 1 1000\nup{job="a"} 1 2000\n')
    db = parquetry.open(store)
    db.ingest(source)
    for data in (store / "samples").rglob("*.parquet"):
        data.write_bytes(b"not parquet")
    with pytest.raises(parquetry.StoreError):
        db.sql("SELECT count(*) FROM samples")
