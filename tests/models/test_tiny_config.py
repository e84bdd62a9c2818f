"""The `tiny` model's config: one torch-free dataclass, checked at submission and at build; saved models load."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synvita.errors import UserInputError
from synvita.models.tiny.config import TINY_CONFIG_KEYS, TinyConfig, tiny_config_problems

SAVED = Path(__file__).parent / "data" / "tiny-one-module"
"""Two small models (tracks, conv encoder) written by the single-module tiny.py, and what they predicted then."""


def test_the_config_and_its_check_import_without_torch():
    code = ("import sys, synvita.models.tiny.config, synvita.models.tiny_options, synvita.models.tiny\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unknown_keys_and_bad_values_are_one_line_each():
    problems = tiny_config_problems({"encoder": "rnn", "depth": 3, "cls_nats": 0})
    assert problems[0].startswith("unknown tiny model config key(s) ['depth']; keys: d, heads")
    assert "encoder = 'rnn' is not one of tracks, conv" in problems[1] and "cls_nats = 0: a number > 0" in problems[2]
    assert tiny_config_problems({}) == [] and set(TinyConfig().to_dict()) == set(TINY_CONFIG_KEYS)
    with pytest.raises(UserInputError, match=r"text_conv = 4: 0 or an odd kernel size"):
        TinyConfig.from_dict({"text_conv": 4})


def test_a_saved_config_is_plain_json_and_rebuilds_the_same_config():
    config = TinyConfig.from_dict({"vocab": ("<pad>", "<unk>", "<cls>", "red"), "extra_groups": ("timing", "layout")})
    saved = json.loads(json.dumps(config.to_dict()))
    assert saved["vocab"] == ["<pad>", "<unk>", "<cls>", "red"] and saved["channels"] == [24, 32, 64]
    assert TinyConfig.from_dict(saved).to_dict() == saved


@pytest.mark.parametrize("encoder", ["tracks", "conv"])
def test_a_model_saved_as_one_module_loads_and_predicts_as_it_did(encoder):
    from synvita.models.base import load_model

    model = load_model(SAVED / encoder)
    rng = np.random.default_rng(0)  # the videos the predictions were made on
    videos = rng.integers(0, 256, size=(2, 8, 32, 32, 3), dtype=np.uint8)
    videos[:, :, 8:16, 8:16] = [250, 30, 30]
    captions = ["one big red circle moves left then one small blue square grows", "two green triangles move up",
                "one small yellow ring shrinks and one big purple cross moves down"]
    f = model.predict(videos, np.array([0, 1, 1]), captions, shared_with=[None, None, captions[0]])
    expected = json.loads((SAVED / "predictions.json").read_text())[encoder]
    np.testing.assert_allclose(f, expected, rtol=0, atol=1e-6)
