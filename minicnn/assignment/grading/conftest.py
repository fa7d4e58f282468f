"""Make the tests import the minicnn in this folder (the one you are writing), even where
another minicnn is installed."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

import minicnn  # noqa: E402

if Path(minicnn.__file__).resolve().parent != HERE / "minicnn":
    raise ImportError(f"the tests must test {HERE / 'minicnn'}, but Python found {minicnn.__file__}; "
                      f"run them from {HERE}")
