"""The procedural text-to-video generator: parses the prompt, renders it in a synthetic look, and sometimes fails.

It reads only the prompt text (an unparseable prompt raises UserInputError naming it). Two kinds of noise:
- visual noise: a synthetic look (palette shift, background texture, blur, flicker, pixel noise) with strengths;
- semantic noise: per-misalignment-type failure rates. With a reference caption t^r per prompt, the prompt's type
  is known (`classify_edit(t^r, t^s)`) and a failure renders t^r's content instead (the edited concept is lost).
  Without references, the type is guessed from the prompt's structure ("then" → flip, relation → relation,
  "and" → hallucination, a group of two → count, else action) and a failure undoes that structure.
Every video records what it actually rendered (`rendered_caption`) and a ground-truth `faithful` flag.

Named noise profiles stand in for different generators (Table 1 of the paper): failure rates follow the paper's
weight histograms, where flip and hallucination have the lowest mean f̄(V^s,t^s) − f̄(V^s,t^r), i.e. fail most.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from synvita.data.types import MISALIGNMENT_TYPES
from synvita.errors import UnknownNameError, UserInputError
from synvita.generators.base import GeneratedVideo, Generator
from synvita.world import captions
from synvita.world.config import QUICKSTART, WorldConfig
from synvita.world.edits import classify_edit
from synvita.world.render import SyntheticLook, render
from synvita.world.scene import OPPOSITE_ACTION, OPPOSITE_RELATION, Relation, Scene


@dataclass(frozen=True)
class NoiseProfile:
    name: str
    failure: dict[str, float]
    """Probability per misalignment type that the video renders something other than the prompt."""
    look: SyntheticLook = field(default_factory=SyntheticLook)
    summary: str = ""


DEFAULT_FAILURE = {
    "object": 0.1,
    "attribute": 0.1,
    "action": 0.2,
    "count": 0.3,
    "relation": 0.4,
    "hallucination": 0.55,
    "flip": 0.6,
}

PROFILES: dict[str, NoiseProfile] = {
    p.name: p
    for p in (
        NoiseProfile("default", DEFAULT_FAILURE, SyntheticLook(0.5), "paper-like: flip and hallucination fail most"),
        NoiseProfile("clean", {t: 0.0 for t in MISALIGNMENT_TYPES}, SyntheticLook(0.5), "synthetic look, never fails"),
        NoiseProfile(
            "cogvideox-like",
            {"object": 0.15, "attribute": 0.15, "action": 0.3, "count": 0.4, "relation": 0.5, "hallucination": 0.7, "flip": 0.75},
            SyntheticLook(0.75),
            "strong look, most semantic noise (worst in-distribution in Table 1)",
        ),
        NoiseProfile(
            "lavie-like",
            {"object": 0.12, "attribute": 0.12, "action": 0.12, "count": 0.3, "relation": 0.35, "hallucination": 0.5, "flip": 0.45},
            SyntheticLook(0.5),
            "better motion and order (best temporal retrieval in Table 1)",
        ),
        NoiseProfile(
            "videocrafter2-like",
            {"object": 0.08, "attribute": 0.08, "action": 0.18, "count": 0.25, "relation": 0.3, "hallucination": 0.45, "flip": 0.55},
            SyntheticLook(0.35),
            "mildest look and noise (best human-caption AUC in Table 1)",
        ),
    )
}


def get_profile(name: str) -> NoiseProfile:
    if name not in PROFILES:
        raise UnknownNameError(f"unknown noise profile '{name}'", hint=f"profiles: {', '.join(PROFILES)}")
    return PROFILES[name]


def structural_type(scene: Scene) -> str:
    """The misalignment type a prompt most likely carries, guessed from its structure alone."""
    if scene.link == "then":
        return "flip"
    if scene.relation is not None:
        return "relation"
    if scene.link == "and":
        return "hallucination"
    if any(g.count == 2 for g in scene.groups):
        return "count"
    return "action"


def structural_failure(scene: Scene, etype: str) -> Scene:
    """What a failing generator renders for a prompt of type `etype` when it has no reference caption."""
    if etype == "flip":
        return replace(scene, groups=scene.groups[::-1])
    if etype == "relation":
        r = scene.relation
        return replace(scene, relation=Relation(r.subject, OPPOSITE_RELATION[r.relation], r.object))
    if etype == "hallucination":
        return Scene(groups=scene.groups[:1], link="single")
    if etype == "count":
        i = next(i for i, g in enumerate(scene.groups) if g.count == 2)
        return scene.with_group(i, count=1)
    return scene.with_group(0, action=OPPOSITE_ACTION[scene.groups[0].action])


@dataclass(frozen=True)
class RenderPlan:
    index: int
    prompt: str
    scene: Scene
    """The prompt's scene graph."""
    rendered: Scene
    """What will be rendered (== scene unless a semantic failure was drawn)."""
    misalignment: str | None
    """The prompt's type (from its reference, or guessed from its structure); None when prompt == reference."""
    failed: bool


class ProceduralGenerator(Generator):
    """The embedded world's T2V generator (CPU; hundreds of clips per second)."""

    name = "procedural"
    section_keys = ("profile", "failure", "look")

    def __init__(
        self,
        profile: str = "default",
        config: WorldConfig | None = None,
        failure: dict[str, float] | None = None,
        look: dict[str, float] | None = None,
    ) -> None:
        base = get_profile(profile)
        rates = dict(base.failure)
        for k, v in (failure or {}).items():
            if k not in MISALIGNMENT_TYPES:
                raise UserInputError(f"unknown misalignment type '{k}' in failure rates", hint=f"types: {', '.join(MISALIGNMENT_TYPES)}")
            if not 0.0 <= float(v) <= 1.0:
                raise UserInputError(f"failure rate for '{k}' must be in [0, 1], got {v}")
            rates[k] = float(v)
        look_keys = {f.name for f in fields(SyntheticLook)}
        bad = sorted(set(look or {}) - look_keys)
        if bad:
            raise UserInputError(f"unknown synthetic-look setting(s) {', '.join(bad)}", hint=f"settings: {', '.join(sorted(look_keys))}")
        for k, v in (look or {}).items():
            if not 0.0 <= float(v) <= 1.0:
                raise UserInputError(f"synthetic-look setting '{k}' must be in [0, 1], got {v}")
        self.profile = replace(base, failure=rates, look=replace(base.look, **{k: float(v) for k, v in (look or {}).items()}))
        self.config = config or QUICKSTART

    @classmethod
    def validate_section(cls, section: Any) -> None:
        import difflib

        super().validate_section(section)
        if section.profile not in PROFILES:
            close = difflib.get_close_matches(section.profile, list(PROFILES), n=1)
            raise UserInputError(
                f"unknown noise profile '{section.profile}' in generation.profile",
                hint=(f"did you mean '{close[0]}'? " if close else "") + f"profiles of the procedural generator: {', '.join(PROFILES)}",
            )
        cls(section.profile, failure=section.failure or None, look=section.look or None)  # checks every value

    @classmethod
    def from_section(cls, section: Any, ctx: Any) -> "ProceduralGenerator":
        """The world's geometry (`ctx.data.config`) with the section's noise profile and overrides."""
        return cls(section.profile, ctx.data.config, failure=section.failure or None, look=section.look or None)

    def log_line(self) -> str:
        return f"generating with {self.name} (profile {self.profile.name})"

    def synthesize(self, world: Any, out_dir: Path, seed: int,
                   progress: Callable[[int, int, str], None] | None = None) -> Any:
        """Whole batches rendered in memory (hundreds of clips per second), no resumable mp4 folder."""
        from synvita.generators.synthesize import generate_for_split

        return generate_for_split(world, self, seed, out_dir, progress=progress)

    def _streams(self, seed: int, index: int) -> tuple[np.random.Generator, np.random.Generator]:
        return (
            np.random.default_rng([int(seed), 7001, int(index), 0]),  # failure decision
            np.random.default_rng([int(seed), 7001, int(index), 1]),  # rendering
        )

    def render_scene(self, scene: Scene, seed: int, index: int) -> np.ndarray:
        """The clip video `index` of a `generate(..., seed)` call shows when it renders `scene` (re-render check)."""
        return render(scene, self.config, self._streams(seed, index)[1], look=self.profile.look, relax_on_failure=True)

    def plan(
        self, prompts: Sequence[str], seed: int, references: Sequence[str] | None = None, start_index: int = 0
    ) -> list[RenderPlan]:
        """What `generate` will render for each prompt (parsing and failure draws only; no pixels)."""
        if references is not None and len(references) != len(prompts):
            raise UserInputError(f"{len(references)} references for {len(prompts)} prompts", hint="give one per prompt or none")
        plans = []
        for i, prompt in enumerate(prompts):
            scene = captions.parse(prompt)
            reference = captions.parse(references[i]) if references is not None else None
            index = start_index + i
            u = self._streams(seed, index)[0].random()
            etype = classify_edit(reference, scene) if reference is not None else structural_type(scene)
            failed = etype in self.profile.failure and u < self.profile.failure[etype]
            if failed:
                rendered = reference if reference is not None else structural_failure(scene, etype)
            else:
                rendered = scene
            plans.append(RenderPlan(index, prompt, scene, rendered, etype, bool(failed)))
        return plans

    def generate(
        self, prompts: Sequence[str], seed: int, references: Sequence[str] | None = None, start_index: int = 0
    ) -> list[GeneratedVideo]:
        """One video per prompt; video i uses streams derived from (seed, start_index + i)."""
        out = []
        for p in self.plan(prompts, seed, references, start_index):
            out.append(
                GeneratedVideo(
                    frames=self.render_scene(p.rendered, seed, p.index),
                    prompt=p.prompt,
                    rendered_caption=captions.canonical(p.rendered),
                    faithful=p.rendered == p.scene,
                    meta={"misalignment": p.misalignment, "failed": p.failed, "profile": self.profile.name},
                )
            )
        return out


def describe_profiles() -> list[dict[str, Any]]:
    return [{"name": p.name, "failure": p.failure, "look": p.look.strength, "summary": p.summary} for p in PROFILES.values()]
