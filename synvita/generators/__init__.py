"""Text-to-video generators behind one interface, registered by name.

A generator reads only prompt text and returns videos. Built-ins:
    procedural  the embedded world's generator (CPU, thousands of clips per second, noise profiles)
    cogvideox   diffusers CogVideoXPipeline from a local directory or the HF cache
    diffusers   any diffusers text-to-video pipeline from a local directory
    folder      import videos made elsewhere (LaVie, VideoCrafter2, ...) matched to prompts by a manifest
"""

from synvita.registry import GENERATORS

GENERATORS.register("procedural", "synvita.generators.procedural:ProceduralGenerator", "embedded procedural world T2V (default)")
GENERATORS.register("cogvideox", "synvita.generators.cogvideox:CogVideoXGenerator", "diffusers CogVideoXPipeline (local weights)")
GENERATORS.register("diffusers", "synvita.generators.diffusers_pipeline:DiffusersGenerator", "any diffusers T2V pipeline by local path")
GENERATORS.register("folder", "synvita.generators.folder:FolderGenerator", "videos generated elsewhere, matched by prompt")
