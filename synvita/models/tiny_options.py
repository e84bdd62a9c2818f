"""What a `tiny` model config may say, without importing torch: re-exported from `synvita.models.tiny.config`
(spec validation imports it from here)."""

from synvita.models.tiny.config import EXTRA_GROUP_SIZES, TINY_CONFIG_KEYS, TinyConfig, tiny_config_problems

__all__ = ["EXTRA_GROUP_SIZES", "TINY_CONFIG_KEYS", "TinyConfig", "tiny_config_problems"]
