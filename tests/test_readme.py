"""The README's promises: its library example runs as written, and its two commands exist."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_library_example_runs_as_written(tmp_path: Path) -> None:
    example = re.search(r"## Using the library\s+```python\n(.*?)```", README, re.DOTALL)
    assert example, "README lost its library example"
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    (tmp_path / "example.py").write_text(example.group(1), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    result = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "added 3, unchanged 0" in result.stdout
    assert "Sanna Marin" in result.stdout and "000_485f4280141f3bb0.txt" in result.stdout
    assert (tmp_path / "newsbot-data").is_dir()


def test_the_two_set_up_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in ("make run", "make test"):
        assert command in README
        assert re.search(rf"^{command.split()[1]}:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
