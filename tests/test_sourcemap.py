"""sourcemap: a generated job's lines back to the user's file and line."""

import pytest

from tauro_gen.diagnostics import Location
from tauro_gen.sourcemap import map_copied

JOB = "import os\n\n\nX = 1\n\ndef f():\n    return X\n\n\ndef main():\n    f()\n"


def test_lines_of_copied_code_map_to_the_users_file():
    source_map = map_copied(
        JOB, [("src/a.py", 10, "X = 1"), ("src/b.py", 3, "def f():\n    return X")]
    )
    assert source_map.origin(4, 1) == Location("src/a.py", 10, 1)
    assert source_map.origin(6, 5) == Location("src/b.py", 3, 5)
    assert source_map.origin(7, 12) == Location("src/b.py", 4, 12)


def test_the_jobs_own_lines_map_to_nothing():
    source_map = map_copied(JOB, [("src/b.py", 3, "def f():\n    return X")])
    for line in (1, 5, 8, 10, 11):
        assert source_map.origin(line) is None


def test_copied_text_is_found_in_order():
    # the second "X = 1" is searched after the first: two blocks, two places
    job = "X = 1\nY = 2\nX = 1\n"
    source_map = map_copied(job, [("a.py", 1, "X = 1"), ("b.py", 7, "X = 1")])
    assert source_map.origin(3) == Location("b.py", 7, 0)
    with pytest.raises(ValueError):
        map_copied(job, [("a.py", 1, "Z = 3")])
