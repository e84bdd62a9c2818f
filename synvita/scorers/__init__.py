"""Scorers for the alignment weights ω: f̄(Vˢ,tˢ) and f̄(Vˢ,tʳ) per synthetic video, registered by name
(entry-point group `synvita.scorers`).

    ensemble  K tiny alignment models trained on the pretrain corpus with different seeds (the stand-in for the
              paper's off-the-shelf VQAScore ensemble: they never saw the fine-tuning data's linguistic bias)
    vqascore  an ensemble of real video-LLMs (Video-LLaVA / LLaVA-NeXT-Video dirs or synvita adapters), VQAScore-style
    oracle    the world's ground truth (`faithful` flag): f̄(Vˢ,tˢ) = faithful, f̄(Vˢ,tʳ) = 1 − faithful; analysis only
"""
