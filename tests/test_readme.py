"""The README's code, and the gradient check of docs/networks.md, run as written."""
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
NETWORKS = README.parent / "docs" / "networks.md"


def python_block(title, doc=README):
    """The first ```python block after the heading ``title`` in ``doc``."""
    text = doc.read_text(encoding="utf-8")
    section = text[text.index(f"## {title}"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_api_in_ten_lines_runs_as_written(tmp_path):
    script = tmp_path / "api.py"
    script.write_text(python_block("The API in ten lines"))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "138,357,544 parameters" in r.stdout and "saliency for" in r.stdout


def test_the_gradient_check_example_runs_and_passes():
    code = "import numpy as np\nfrom minicnn.layers import conv_forward, conv_backward\n" + \
        python_block("Gradient checks", NETWORKS)
    exec(compile(code, "docs/networks.md gradient check", "exec"), {})


def test_every_verb_and_every_demo_is_documented():
    from minicnn.cli import build_parser
    verbs = next(a for a in build_parser()._actions if a.dest == "verb").choices
    text = README.read_text(encoding="utf-8")
    assert not [v for v in verbs if f"minicnn {v}" not in text]
    demos = README.parent / "demos"
    listed = (demos / "README.md").read_text(encoding="utf-8")
    assert not [p.name for p in demos.glob("*.py") if f"`{p.name}`" not in listed]
