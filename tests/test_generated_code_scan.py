"""No config string becomes code (issue 11, section 1): every job the suite generates — the
golden projects (hostile_names among them), the committed example build/, and the jobs of the
broken corpus's warning cases — is tokenized, and no run of code tokens (names, operators,
numbers: anything but string literals and comments) may spell config text. A config string
that is one identifier can only become one NAME token, which is how checked names (entry
names through the namer, params keys: TG220) appear; anything longer (`**{...}`, `a.b(c)`,
`x, y`) appearing as code tokens means config text was pasted as code.
"""

from __future__ import annotations

import ast
import io
import tokenize
import unicodedata
from pathlib import Path

import pytest
from golden_projects import generated_files, golden_projects
from harness import REPO

from tauro_gen.generate import generate, load_and_validate
from tauro_gen.load import load_project

BROKEN = Path(__file__).resolve().parent / "broken"
SKIPPED = {
    tokenize.ENCODING,
    tokenize.NEWLINE,
    tokenize.NL,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
    tokenize.COMMENT,
}

Token = tuple[str, str]  # (kind, text): kind "str" for a literal (its value), else "code"


def tokens(text: str) -> list[Token]:
    """`text` as Python tokens, string literals by value; as far as it tokenizes (config text
    need not be Python)."""
    found: list[Token] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in SKIPPED:
                continue
            if tok.type == tokenize.STRING:
                try:
                    found.append(("str", str(ast.literal_eval(tok.string))))
                except (ValueError, SyntaxError):
                    found.append(("str", tok.string))
            elif tok.type == tokenize.NAME:
                found.append(("code", unicodedata.normalize("NFKC", tok.string)))
            else:
                found.append(("code", tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return found


def config_strings(value) -> set[str]:
    """Every text of a loaded config: mapping keys and string values, at any depth."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(str(key))
            found |= config_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= config_strings(item)
    elif isinstance(value, str):
        found.add(value)
    return found


def leaks(job: str, strings: set[str]) -> list[str]:
    """The config strings whose tokens appear in `job` as a run of code (not only inside
    string literals)."""
    job_tokens = tokens(job)
    found = []
    for text in sorted(strings):
        wanted = tokens(text)
        if len(wanted) < 2 or all(kind == "str" for kind, _ in wanted):
            continue  # one identifier, number or literal: never more than one token of code
        width = len(wanted)
        if any(job_tokens[i : i + width] == wanted for i in range(len(job_tokens) - width + 1)):
            found.append(text)
    return found


def _project_strings(root: Path, env: str) -> set[str]:
    raw, _ = load_project(root, env)
    return config_strings(raw.sections) | config_strings(raw.global_settings) | {env}


def _golden_jobs():
    for name, root in golden_projects().items():
        strings = _project_strings(root, "base")
        for relative, source in generated_files(name, root).items():
            if relative.endswith(".py"):
                yield relative, source, strings
    for path in sorted((REPO / "build").rglob("*.py")):
        env = path.parent.name if path.parent != REPO / "build" else "base"
        yield f"build/{path.relative_to(REPO / 'build')}", path.read_text(), _project_strings(
            REPO, env
        )


def _corpus_jobs():
    for case in sorted(p for p in BROKEN.iterdir() if (p / "expected.yaml").is_file()):
        project, _ = load_and_validate(case, "base")
        if project is None:
            continue  # refused: nothing is generated
        strings = _project_strings(case, "base")
        for job in generate(project, sorted(project.pipelines)):
            yield f"broken/{case.name}/{job.pipeline}.py", job.source, strings


JOBS = [*_golden_jobs(), *_corpus_jobs()]


@pytest.mark.parametrize("relative,source,strings", JOBS, ids=[j[0] for j in JOBS])
def test_no_config_text_becomes_code(relative, source, strings):
    assert leaks(source, strings) == [], f"{relative}: config text written as code"


def test_the_scan_covers_the_golden_projects_and_the_corpus():
    names = {relative.split("/")[0] for relative, _, _ in JOBS}
    assert {"tutorial", "build", "broken", "hostile_names"} <= names
    assert sum(1 for r, _, _ in JOBS if r.startswith("broken/")) >= 10


INJECTED = "**{'z': __import__('os').system('touch PWNED')}, min_amount"


def test_the_scan_finds_a_params_key_pasted_as_code():
    """What the job looked like before TG220: the key written raw into the node call."""
    job = 'def main():\n    clean = f(df, **{"z": __import__("os").system("touch PWNED")}, min_amount=10)\n'
    assert leaks(job, {INJECTED, "data/in/", "sales"}) == [INJECTED]


def test_the_scan_accepts_config_text_inside_literals_and_checked_names():
    job = (
        "def read_sales(spark):\n"
        f"    key = {INJECTED!r}\n"
        "    sales = spark.read.load('data/in/')\n"
        "    return sales  # data / in /\n"
    )
    assert leaks(job, {INJECTED, "data/in/", "sales"}) == []
