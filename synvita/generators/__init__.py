"""Text-to-video generators behind one interface, registered by name (entry-point group `synvita.generators`).

A generator reads only prompt text and returns videos. Built-ins:
    procedural  the embedded world's generator (CPU, thousands of clips per second, noise profiles)
    cogvideox   diffusers CogVideoXPipeline from a local directory or the HF cache
    diffusers   any diffusers text-to-video pipeline from a local directory
    folder      import videos made elsewhere (LaVie, VideoCrafter2, ...) matched to prompts by a manifest
"""
