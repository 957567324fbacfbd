"""Workspace resolution (pipeline.workspace) and the CLI's use of it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline import config, workspace
from pipeline.cli import app
from pipeline.errors import InputError


def test_without_a_workspace_the_package_defaults_are_used(tmp_path, monkeypatch):
    monkeypatch.delenv("DANGJIAN_MODELS_DIR", raising=False)
    ws = workspace.resolve(cwd=tmp_path)
    assert (ws.lexicon_dir, ws.labels_dir, ws.models_dir, ws.root) == (config.LEXICON_DIR, config.LABELS_DIR, config.MODELS_DIR, None)


def test_the_nearest_toml_upward_wins_and_paths_are_relative_to_it(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "dangjian.toml").write_text('[paths]\nlexicons = "lex"\n', encoding="utf-8")
    ws = workspace.resolve(cwd=tmp_path / "a" / "b")
    assert ws.lexicon_dir == (tmp_path / "lex").resolve()
    assert ws.labels_dir == config.LABELS_DIR  # not named, no labels/ folder: the packaged labels
    assert ws.config_file == tmp_path / "dangjian.toml"


@pytest.mark.parametrize(
    "body, message",
    [
        ("[paths\n", "cannot read"),
        ('[paths]\nlexicon = "x"\n', "unknown key"),
        ("[paths]\nlabels = 3\n", "must be a folder name"),
    ],
)
def test_a_bad_toml_is_one_clear_error(tmp_path, body, message):
    (tmp_path / "dangjian.toml").write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        workspace.resolve(cwd=tmp_path)


def test_init_then_lexicon_add_from_a_subfolder_writes_the_workspace_lexicon(tmp_path, monkeypatch):
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    assert (ws / "lexicons" / "formulations.csv").read_bytes() == (config.LEXICON_DIR / "formulations.csv").read_bytes()
    again = runner.invoke(app, ["init", str(ws)])
    assert again.exit_code == 1 and "already exists" in again.output
    sub = ws / "raw"
    monkeypatch.chdir(sub)
    res = runner.invoke(app, ["lexicon", "add", "一个测试提法", "--category", "组织"])
    assert res.exit_code == 0, res.output
    assert not (sub / "lexicons").exists()
    assert "一个测试提法" in (ws / "lexicons" / "formulations.csv").read_text(encoding="utf-8")
    assert "一个测试提法" not in (config.LEXICON_DIR / "formulations.csv").read_text(encoding="utf-8")
    check = runner.invoke(app, ["lexicon", "check"])
    assert check.exit_code == 0 and "OK" in check.output


def test_project_option_names_the_workspace(tmp_path, monkeypatch):
    runner = CliRunner()
    ws = tmp_path / "ws"
    runner.invoke(app, ["init", str(ws)])
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["--project", str(ws), "lexicon", "add", "另一个测试提法", "--category", "作风"])
    assert res.exit_code == 0, res.output
    assert "另一个测试提法" in (ws / "lexicons" / "formulations.csv").read_text(encoding="utf-8")
    missing = runner.invoke(app, ["--project", str(tmp_path / "nope"), "lexicon", "check"])
    assert missing.exit_code == 1 and "no such folder" in missing.output


def test_models_dir_env_overrides_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("DANGJIAN_MODELS_DIR", str(tmp_path / "m"))
    assert workspace.resolve(cwd=tmp_path).models_dir == tmp_path / "m"
