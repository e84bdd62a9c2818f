"""The research scripts live in research/ (not installed); their tests import them from there by path."""

import sys
from pathlib import Path

RESEARCH = Path(__file__).resolve().parents[2] / "research"
sys.path.insert(0, str(RESEARCH))
