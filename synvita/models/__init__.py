"""Alignment models f(V, t) ∈ [0, 1] behind one interface, registered by name.

    tiny      embedded object tracks + word-level text, grounded in each other, + fusion; trains on 2 CPU cores
    videollm  transformers Video-LLaVA / LLaVA-NeXT-Video with LoRA (peft); f from the Yes/No token probabilities
"""

from synvita.registry import MODELS

MODELS.register("tiny", "synvita.models.tiny:TinyAlignmentModel", "embedded model; trains on CPU in minutes")
MODELS.register("videollm", "synvita.models.videollm:VideoLLMAlignmentModel", "Video-LLaVA / LLaVA-NeXT-Video + LoRA")
