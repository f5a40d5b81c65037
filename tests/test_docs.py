"""The README and docs/ keep their promises about the repository itself: CI runs the README's test command, and
every link and figure they point at exists."""

import glob
import os
import re

from tests.conftest import REPO

DOCUMENTS = [os.path.join(REPO, "README.md"), *glob.glob(os.path.join(REPO, "docs", "**", "*.md"), recursive=True)]


def _fenced_bash_commands(markdown: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", markdown, flags=re.DOTALL)]


def test_ci_runs_the_readme_test_command_verbatim():
    readme = open(os.path.join(REPO, "README.md")).read()
    setup_commands = _fenced_bash_commands(readme)[:2]  # the README opens with exactly two commands
    assert len(setup_commands) == 2 and "pytest" in setup_commands[1]
    ci_lines = [line.strip() for line in open(os.path.join(REPO, ".ci", "run"))]
    assert setup_commands[1] in ci_lines


def test_every_relative_link_and_figure_in_the_docs_exists():
    missing = []
    for document in DOCUMENTS:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", open(document).read()):
            if "://" not in target and not os.path.exists(os.path.join(os.path.dirname(document), target)):
                missing.append(f"{os.path.relpath(document, REPO)} -> {target}")
    assert len(DOCUMENTS) > 5 and not missing, missing
