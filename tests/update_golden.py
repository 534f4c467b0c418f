"""Rewrite tests/golden/ from the example projects. Review the diff before committing."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from golden_projects import GOLDEN, generated_files, golden_projects  # noqa: E402

if __name__ == "__main__":
    # Generate everything first: a project that does not build leaves tests/golden untouched.
    files = {}
    for name, root in golden_projects().items():
        files.update(generated_files(name, root))
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for relative, source in sorted(files.items()):
        target = GOLDEN / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)
        print(f"wrote tests/golden/{relative}")
