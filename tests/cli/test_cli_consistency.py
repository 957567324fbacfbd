"""One consistent command line (issue 15): concordance lines and CSV name the title, file and year
(not a hex doc_id); bad option values and unwritable outputs are one coded line and a non-zero
exit, never a traceback; ``--strict`` says which files failed, also on a rerun that finds the
outputs up to date; ``--help`` shows the ``dangjian[dask]`` extra. On the bundled sample reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE_DIR, write_label_sample
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
UNWRITABLE = Path("/proc/dangjian-cli-test")  # mkdir there fails (ENOENT), even for root


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("sample_run")
    res = runner.invoke(app, ["ingest", str(SAMPLE_DIR), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, pd.read_csv(out / "documents.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def lines_of(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def assert_one_coded_line(res, code: str = "[E010]") -> str:
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    lines = lines_of(res.output)
    assert len(lines) == 1 and lines[0].startswith(f"Error: {code}") and " -> " in lines[0], res.output
    return lines[0]


def test_kwic_lines_and_csv_name_title_file_and_year(sample_run, tmp_path):
    out, docs = sample_run
    k = tmp_path / "k.csv"
    res = runner.invoke(app, ["kwic", "两个维护", "--out", str(out), "--csv", str(k)])
    assert res.exit_code == 0, res.output
    *hits, summary = lines_of(res.output)
    expected = sum(p.read_text(encoding="utf-8").count("两个维护") for p in SAMPLE_DIR.glob("*.txt"))
    assert len(hits) == expected and summary.startswith(f"{expected} occurrence(s)")
    sources = {f"| {t} ({p})": y for t, p, y in zip(docs["title"], docs["path"], docs["year"])}
    for line in hits:
        source = line[line.rindex("| ") :]
        assert source in sources and line.startswith(f"{sources[source]}  "), line
        assert not any(d in line for d in docs["doc_id"]), line  # no hex id
    table = pd.read_csv(k, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns[:7]) == ["doc_id", "title", "path", "year", "left", "match", "right"]
    assert len(table) == expected and (table["match"] == "两个维护").all()
    want = docs.set_index("doc_id")
    assert (table["path"] == table["doc_id"].map(want["path"])).all() and (table["title"] == table["doc_id"].map(want["title"])).all()
    assert (table["path"].str.endswith(".txt")).all() and (table["year"] != "").all()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["kwic", "", "--out", "{run}"], "[E001] empty formulation"),
        (["kwic", "   ", "--out", "{run}"], "[E001] empty formulation"),
    ],
)
def test_an_empty_term_is_refused(sample_run, args, needle):
    res = runner.invoke(app, [a.replace("{run}", str(sample_run[0])) for a in args])
    assert needle in assert_one_coded_line(res, "[E001]")


@pytest.mark.parametrize("args", [["run", str(SAMPLE_DIR), "--workers", "-3"], ["label", "export", "t.csv", "--uncertain", "-1"]])
def test_negative_counts_are_refused(tmp_path, args):
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and "Invalid value" in res.output and not (tmp_path / "out").exists()


def test_help_shows_the_dask_extra():
    res = runner.invoke(app, ["run", "--help"], terminal_width=200)
    assert res.exit_code == 0 and "dangjian[dask]" in res.output


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "args",
    [
        ["run", str(SAMPLE_DIR), "--out", str(UNWRITABLE), "--no-report", "--workers", "1"],
        ["ingest", str(SAMPLE_DIR), "--out", str(UNWRITABLE / "run")],
        ["init", str(UNWRITABLE)],
        ["kwic", "两个维护", "--out", "{run}", "--csv", str(UNWRITABLE / "k.csv")],
        ["keyness", "year=2020", "--out", "{run}", "--csv", str(UNWRITABLE / "k.csv")],
    ],
)
def test_an_unwritable_output_is_one_coded_line(sample_run, args):
    res = runner.invoke(app, [a.replace("{run}", str(sample_run[0])) for a in args])
    line = assert_one_coded_line(res)
    assert str(UNWRITABLE) in line and not UNWRITABLE.exists()


def test_an_output_folder_that_is_a_file_is_one_coded_line(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder", encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(SAMPLE_DIR), "--out", str(blocker)])
    assert "file" in assert_one_coded_line(res) and blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_classify_to_an_unwritable_file_is_one_coded_line(tmp_path):
    (tmp_path / "labels").mkdir()
    labels = write_label_sample(tmp_path / "labels", per_label=30, seed=1)
    inp = tmp_path / "in.csv"
    pd.DataFrame({"text": ["严格落实中央八项规定精神，坚决纠治“四风”问题。"]}).to_csv(inp, index=False)
    res = runner.invoke(app, ["classify", str(inp), "--out", str(UNWRITABLE / "o.csv"), "--labels", str(labels), "--models-dir", str(tmp_path / "m")])
    assert str(UNWRITABLE) in assert_one_coded_line(res)


def test_strict_names_the_failed_files_also_when_up_to_date(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in sorted(SAMPLE_DIR.glob("*.txt"))[:2]:
        shutil.copy(path, raw / path.name)
    (raw / "empty.txt").write_bytes(b"")
    (raw / "broken.pdf").write_bytes(b"\x00\x01 not a pdf")
    out = tmp_path / "out"
    for attempt in range(2):  # the second run finds nothing to redo
        res = runner.invoke(app, ["run", str(raw), "--out", str(out), "--strict", "--no-report", "--workers", "1"])
        assert res.exit_code == 1, res.output
        last = lines_of(res.output)[-1]
        assert last.startswith("strict:") and "broken.pdf" in last and "empty.txt" in last, (attempt, res.output)
        assert "up to date" not in last
    assert (out / "documents.csv").is_file()
