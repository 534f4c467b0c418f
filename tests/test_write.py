"""write_files changes all of its files or none."""

from __future__ import annotations

import os

import pytest

from tauro_gen.write import write_files


def test_writes_new_and_changed_files_and_reports_them(tmp_path):
    (tmp_path / "same.py").write_text("same")
    (tmp_path / "old.py").write_text("old")
    changed = write_files(
        {tmp_path / "same.py": "same", tmp_path / "old.py": "new", tmp_path / "d" / "n.py": "n"}
    )
    assert sorted(p.name for p in changed) == ["n.py", "old.py"]
    assert (tmp_path / "old.py").read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["d", "old.py", "same.py"]  # no temporary left


def test_a_failing_replace_puts_back_every_file_already_replaced(tmp_path):
    (tmp_path / "a.py").write_text("previous a")
    (tmp_path / "z").mkdir()  # a folder where a file should go: its replace fails
    with pytest.raises(OSError):
        write_files({tmp_path / "a.py": "new a", tmp_path / "new.py": "new", tmp_path / "z": "x"})
    assert (tmp_path / "a.py").read_text() == "previous a"
    assert not (tmp_path / "new.py").exists()
    assert sorted(os.listdir(tmp_path)) == ["a.py", "z"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    """mkstemp's 0600 stayed on every generated file whatever the umask."""
    previous = os.umask(umask)
    try:
        write_files({tmp_path / "build" / "job.py": "x = 1\n"})
    finally:
        os.umask(previous)
    assert (tmp_path / "build" / "job.py").stat().st_mode & 0o777 == mode
