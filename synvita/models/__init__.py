"""Alignment models f(V, t) ∈ [0, 1] behind one interface, registered by name (entry-point group `synvita.models`).

    tiny      embedded object tracks + word-level text, grounded in each other, + fusion; trains on 2 CPU cores
    videollm  transformers Video-LLaVA / LLaVA-NeXT-Video with LoRA (peft); f from the Yes/No token probabilities

The registered objects are the light components of `synvita.models.components`; their `model_class()` is the
`torch.nn.Module`.
"""
