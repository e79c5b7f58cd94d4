"""The README example and examples/*.py run verbatim."""
import re
import runpy
import subprocess
import sys

from conftest import PKG


def test_readme_example_runs_verbatim():
    text = (PKG / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "README has a python example"
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 12
    exec(compile(code, "README.md", "exec"), {})


def test_two_agents_example():
    p = subprocess.run([sys.executable, str(PKG / "examples" / "two_agents.py")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "Paris, France ['geography'] 3"
    assert lines[1] == "2 0.95 1"


def test_two_agents_example_is_short():
    n = len([l for l in (PKG / "examples" / "two_agents.py").read_text().splitlines() if l.strip()])
    assert n <= 17
    runpy.run_path(str(PKG / "examples" / "two_agents.py"))
