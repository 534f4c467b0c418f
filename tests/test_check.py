"""`tauro-gen check`: build/ compared with what the project generates now (CI, pre-commit)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from harness import REPO, tauro_gen

from tauro_gen import cli
from tauro_gen import format as fmt


def build(root: Path, *args: str) -> None:
    result = tauro_gen("build", "--all", *args, cwd=root)
    assert result.returncode == 0, result.stderr


def test_fresh_build_passes_and_writes_a_manifest(tutorial):
    build(tutorial)
    manifest = json.loads((tutorial / "build/real_time_sales.manifest.json").read_text())
    assert manifest["pipeline"] == "real_time_sales"
    assert manifest["sinks"][0]["checkpoint"] == "checkpoints/real_time_sales/processed_sales"
    result = tauro_gen("check", cwd=tutorial)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: 2 file(s) in build/ match the project (env 'base')" in result.stdout
    assert result.stderr == ""  # quiet in a hook: no warnings, no noise


def test_stale_tree_exits_1_with_a_unified_diff_per_file(tutorial):
    build(tutorial)
    outputs = tutorial / "config/outputs.yaml"
    outputs.write_text(outputs.read_text() + "    trigger: {processing_time: 5 seconds}\n")
    result = tauro_gen("check", "--all", cwd=tutorial)
    assert result.returncode == 1
    out = result.stdout
    assert "--- a/build/real_time_sales.py (committed)" in out
    assert "+++ b/build/real_time_sales.py (generated now)" in out
    assert '+        writer = writer.trigger(processingTime="5 seconds")' in out
    assert "--- a/build/real_time_sales.manifest.json (committed)" in out
    assert '+        "kind": "processing_time",' in out
    assert "2 stale, 0 missing, 0 orphaned file(s) in build/; run: tauro-gen build --all" in (
        result.stderr
    )
    build(tutorial)
    assert tauro_gen("check", cwd=tutorial).returncode == 0


def test_node_code_change_makes_the_tree_stale(tutorial):
    build(tutorial)
    code = tutorial / "src/nodes/process_sales.py"
    code.write_text(code.read_text().replace("df['amount'] > 0", "df['amount'] > 10"))
    result = tauro_gen("check", cwd=tutorial)
    assert result.returncode == 1
    assert '+    df = df.filter(df["amount"] > 10)' in result.stdout


def test_missing_and_orphaned_files(tutorial):
    build(tutorial)
    (tutorial / "build/real_time_sales.manifest.json").unlink()
    (tutorial / "build/old_pipeline.py").write_text("# from a pipeline that was removed\n")
    (tutorial / "build/old_pipeline.manifest.json").write_text("{}\n")
    (tutorial / "build/notes.txt").write_text("not ours\n")  # other files are left alone
    result = tauro_gen("check", cwd=tutorial)
    assert result.returncode == 1
    assert "missing: build/real_time_sales.manifest.json" in result.stdout
    assert "orphan: build/old_pipeline.py (no pipeline of env 'base' produces it)" in result.stdout
    assert "orphan: build/old_pipeline.manifest.json" in result.stdout
    assert "notes.txt" not in result.stdout
    assert "remove: build/old_pipeline.manifest.json build/old_pipeline.py" in result.stderr


def test_environments_are_checked_separately(tutorial):
    build(tutorial)
    build(tutorial, "--env", "dev")
    assert (tutorial / "build/dev/real_time_sales.manifest.json").is_file()
    # base does not see build/dev/ as orphans, and dev checks build/dev/ only.
    assert tauro_gen("check", cwd=tutorial).returncode == 0
    assert tauro_gen("check", "--env", "dev", cwd=tutorial).returncode == 0
    (tutorial / "build/dev/real_time_sales.py").write_text("edited by hand\n")
    assert tauro_gen("check", cwd=tutorial).returncode == 0
    stale = tauro_gen("check", "--env", "dev", cwd=tutorial)
    assert stale.returncode == 1
    assert "run: tauro-gen build --all --env dev" in stale.stderr


def test_one_pipeline_and_config_errors(project):
    root = project("order_enrichment")
    assert tauro_gen("check", cwd=root).returncode == 1  # nothing built yet
    build(root)
    assert tauro_gen("check", "--pipeline", "order_enrichment", cwd=root).returncode == 0
    unknown = tauro_gen("check", "--pipeline", "nope", cwd=root)
    assert unknown.returncode == 2 and "unknown pipeline 'nope'" in unknown.stderr
    inputs = root / "config/inputs.yaml"
    inputs.write_text(inputs.read_text().replace("format: json", "fromat: json"))
    broken = tauro_gen("check", cwd=root)
    assert broken.returncode == 2
    assert "unknown key 'fromat'" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_check_and_build_do_not_format_a_job_nothing_changed(tutorial, monkeypatch, capsys):
    """What makes a hook fast: a job whose manifest records the same plan and generator,
    and whose file is the one that manifest describes, is read back, not formatted."""
    build(tutorial)

    def no_black(rendered, tree=None):
        raise AssertionError("formatted a job nothing changed")

    monkeypatch.setattr(fmt, "format_job", no_black)
    assert cli.main(["check", "--project", str(tutorial)]) == 0
    assert cli.main(["build", "--all", "--project", str(tutorial)]) == 0
    assert "build/real_time_sales.py (streaming, unchanged)" in capsys.readouterr().out
    # Any change to the job's inputs and it is generated again (and black is needed).
    outputs = tutorial / "config/outputs.yaml"
    outputs.write_text(outputs.read_text() + "    trigger: {processing_time: 5 seconds}\n")
    assert cli.main(["check", "--project", str(tutorial)]) == 3
    assert "formatted a job nothing changed" in capsys.readouterr().err


def test_a_job_edited_by_hand_is_stale_and_rebuilt(tutorial):
    build(tutorial)
    job = tutorial / "build/real_time_sales.py"
    generated = job.read_text()
    job.write_text(generated.replace('PIPELINE = "real_time_sales"', 'PIPELINE = "edited"'))
    result = tauro_gen("check", cwd=tutorial)
    assert result.returncode == 1
    assert '-PIPELINE = "edited"\n+PIPELINE = "real_time_sales"' in result.stdout
    assert "1 stale, 0 missing" in result.stderr  # the job; its manifest still matches
    build(tutorial)
    assert job.read_text() == generated
    assert tauro_gen("check", cwd=tutorial).returncode == 0


def test_a_damaged_manifest_in_build_is_stale_not_a_crash(tutorial):
    """A manifest with a key missing (here a query without its checkpoint) is not one this
    tauro-gen wrote: check reports it stale, build replaces it, diff names the problem."""
    build(tutorial)
    manifest = tutorial / "build/real_time_sales.manifest.json"
    good = manifest.read_text()
    data = json.loads(good)
    del data["sinks"][0]["checkpoint"]
    manifest.write_text(json.dumps(data, indent=2) + "\n")
    damaged = tutorial / "damaged.manifest.json"
    damaged.write_text(manifest.read_text())
    result = tauro_gen("check", cwd=tutorial)
    assert result.returncode == 1, result.stderr
    assert "1 stale, 0 missing" in result.stderr and "Traceback" not in result.stderr
    build(tutorial)
    assert manifest.read_text() == good
    diff = tauro_gen("diff", str(damaged), str(manifest), cwd=tutorial)
    assert diff.returncode == 2
    # (the CLI names the pair by the new file's name, the side by old/new)
    assert "error: old real_time_sales.manifest.json: sinks[0] has no 'checkpoint'" in diff.stderr
    data = json.loads(good)
    data["manifest_version"] = 9
    damaged.write_text(json.dumps(data))
    diff = tauro_gen("diff", str(damaged), str(manifest), cwd=tutorial)
    assert diff.returncode == 2
    assert "manifest version 9 is not supported by this tauro-gen (2)" in diff.stderr


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    by_id = {hook["id"]: hook for hook in hooks}
    assert set(by_id) == {"tauro-gen-check", "tauro-gen-check-system", "tauro-gen-dry-run"}
    assert by_id["tauro-gen-dry-run"]["entry"] == "tauro-gen dry-run --all"
    assert by_id["tauro-gen-dry-run"]["stages"] == ["pre-push"]  # it starts a JVM
    for hook in hooks:
        assert hook["entry"] in ("tauro-gen check", "tauro-gen dry-run --all")
        assert hook["pass_filenames"] is False
        assert hook["language"] in ("python", "system")
        assert "config/" in hook["files"] and "src/" in hook["files"]
