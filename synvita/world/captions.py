"""Captions from scene graphs, in two template families, and the parser that reads either back.

canonical  the "LLM" style of the training data: fixed words, fixed order
           ("one big red circle moves left then two small blue squares grow")
paraphrase the "human" style: other words and other word order
           ("two tiny navy boxes expand after a large scarlet disc slides to the left")

A relation clause names each object by colour and shape ("... with the red circle above the blue square"); the
parser also reads the shape-only clauses of worlds built before that ("with the circle above the square").

`parse` maps text of either family back to the scene graph (the round trip is asserted in tests); the procedural
generator reads prompts with it, as a text-to-video model reads a prompt.
"""

from __future__ import annotations

import re

import numpy as np

from synvita.errors import UserInputError
from synvita.world.scene import OPPOSITE_ACTION, OPPOSITE_RELATION, Group, Relation, Scene

# canonical words ---------------------------------------------------------------------------------------------------
COUNT_WORD = {1: "one", 2: "two"}
SHAPE_PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles", "cross": "crosses", "ring": "rings"}
ACTION_PLURAL = {
    "moves left": "move left",
    "moves right": "move right",
    "moves up": "move up",
    "moves down": "move down",
    "grows": "grow",
    "shrinks": "shrink",
    "appears": "appear",
    "disappears": "disappear",
}

# paraphrase words (the "human" family) -----------------------------------------------------------------------------
PARA_COUNT = {1: ("a", "a single"), 2: ("two", "a pair of")}
PARA_SIZE = {"small": ("tiny", "little"), "big": ("large", "huge")}
PARA_COLOUR = {
    "red": ("red", "scarlet"),
    "green": ("green", "lime"),
    "blue": ("blue", "navy"),
    "yellow": ("yellow", "golden"),
    "purple": ("purple", "violet"),
}
PARA_SHAPE = {  # (singular, plural)
    "circle": (("disc", "discs"), ("dot", "dots")),
    "square": (("box", "boxes"), ("block", "blocks")),
    "triangle": (("wedge", "wedges"), ("pyramid", "pyramids")),
    "cross": (("plus sign", "plus signs"), ("x mark", "x marks")),
    "ring": (("hoop", "hoops"), ("loop", "loops")),
}
PARA_ACTION = {  # (singular, plural)
    "moves left": (("slides to the left", "slide to the left"), ("drifts left", "drift left")),
    "moves right": (("slides to the right", "slide to the right"), ("drifts right", "drift right")),
    "moves up": (("rises", "rise"), ("goes up", "go up")),
    "moves down": (("sinks", "sink"), ("drops", "drop")),
    "grows": (("gets bigger", "get bigger"), ("expands", "expand")),
    "shrinks": (("gets smaller", "get smaller"), ("contracts", "contract")),
    "appears": (("comes into view", "come into view"), ("emerges", "emerge")),
    "disappears": (("vanishes", "vanish"), ("fades away", "fade away")),
}
PARA_RELATION = {
    "above": ("over", "higher than"),
    "below": ("under", "beneath"),
    "left of": ("to the left of",),
    "right of": ("to the right of",),
}
CONNECTIVE_WORDS = ("and", "then", "with", "the", "first", "after", "that", "before", "while", "as", "where", "is")


def _phrase_table(pairs: list[tuple[str, object]]) -> dict[tuple[str, ...], object]:
    return {tuple(p.split()): v for p, v in pairs}


_COUNTS = _phrase_table(
    [(w, n) for n, w in COUNT_WORD.items()] + [(w, n) for n, ws in PARA_COUNT.items() for w in ws]
)
_SIZES = _phrase_table([(s, s) for s in PARA_SIZE] + [(w, s) for s, ws in PARA_SIZE.items() for w in ws])
_COLOURS = _phrase_table([(c, c) for c in PARA_COLOUR] + [(w, c) for c, ws in PARA_COLOUR.items() for w in ws])
_SHAPES = _phrase_table(
    [(s, s) for s in SHAPE_PLURAL]
    + [(p, s) for s, p in SHAPE_PLURAL.items()]
    + [(w, s) for s, forms in PARA_SHAPE.items() for pair in forms for w in pair]
)
_ACTIONS = _phrase_table(
    [(a, a) for a in ACTION_PLURAL]
    + [(p, a) for a, p in ACTION_PLURAL.items()]
    + [(w, a) for a, forms in PARA_ACTION.items() for pair in forms for w in pair]
)
_RELATIONS = _phrase_table(
    [(r, r) for r in PARA_RELATION] + [(w, r) for r, ws in PARA_RELATION.items() for w in ws]
)


def vocabulary() -> list[str]:
    """Every word either caption family can produce (sorted), for tokenizers."""
    words: set[str] = set(CONNECTIVE_WORDS)
    for table in (_COUNTS, _SIZES, _COLOURS, _SHAPES, _ACTIONS, _RELATIONS):
        for phrase in table:
            words.update(phrase)
    return sorted(words)


# canonical ---------------------------------------------------------------------------------------------------------
def canonical_clause(g: Group) -> str:
    shape = g.shape if g.count == 1 else SHAPE_PLURAL[g.shape]
    action = g.action if g.count == 1 else ACTION_PLURAL[g.action]
    return f"{COUNT_WORD[g.count]} {g.size} {g.colour} {shape} {action}"


def canonical(scene: Scene) -> str:
    """The canonical ("LLM" style) caption of a scene."""
    clauses = [canonical_clause(g) for g in scene.groups]
    if scene.link == "single":
        return clauses[0]
    text = f"{clauses[0]} {scene.link} {clauses[1]}"
    if scene.relation is not None:
        r = scene.relation
        text += f" with the {relation_noun(scene.groups[r.subject])} {r.relation} the {relation_noun(scene.groups[r.object])}"
    return text


def relation_noun(g: Group) -> str:
    """How a relation clause names a group: colour and shape ("the red circle"). With the shape alone, the clause's
    words could be tied to objects only through relation captions; colour words are grounded by every caption
    (docs/temporal.md; made together with grounding, not ablated on its own)."""
    return f"{g.colour} {g.shape}"


# paraphrase --------------------------------------------------------------------------------------------------------
def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def paraphrase_clause(g: Group, rng: np.random.Generator) -> str:
    plural = 1 if g.count > 1 else 0
    shape = _pick(rng, PARA_SHAPE[g.shape])[plural]
    action = _pick(rng, PARA_ACTION[g.action])[plural]
    return f"{_pick(rng, PARA_COUNT[g.count])} {_pick(rng, PARA_SIZE[g.size])} {_pick(rng, PARA_COLOUR[g.colour])} {shape} {action}"


def paraphrase(scene: Scene, rng: np.random.Generator) -> str:
    """A "human" style caption of the same scene: synonyms and other word orders (parses back to `scene`)."""
    c = [paraphrase_clause(g, rng) for g in scene.groups]
    if scene.link == "single":
        return c[0]
    if scene.link == "then":
        form = int(rng.integers(4))
        return (
            f"first {c[0]}, then {c[1]}",
            f"{c[0]}, and after that {c[1]}",
            f"{c[1]} after {c[0]}",
            f"{c[0]} before {c[1]}",
        )[form]
    text = f"{c[0]} {_pick(rng, ('while', 'as'))} {c[1]}"
    if scene.relation is not None:
        r = scene.relation
        subj, obj = (
            f"{_pick(rng, PARA_COLOUR[g.colour])} {_pick(rng, PARA_SHAPE[g.shape])[0]}"
            for g in (scene.groups[r.subject], scene.groups[r.object])
        )
        if rng.random() < 0.5:
            text += f", with the {subj} {_pick(rng, PARA_RELATION[r.relation])} the {obj}"
        else:
            inverse = OPPOSITE_RELATION[r.relation]
            text += f", where the {obj} is {_pick(rng, PARA_RELATION[inverse])} the {subj}"
    return text


# rewording a paraphrase ---------------------------------------------------------------------------------------------
# A paraphrase's hard negative in its own words: the same text with only the edited phrase replaced by the opposite
# phrase of the same form (word variant, number), so the two captions differ where the edit is and nowhere else.
_PARA_ACTION_OPPOSITE = {
    phrase: PARA_ACTION[OPPOSITE_ACTION[action]][variant][plural]
    for action, forms in PARA_ACTION.items()
    for variant, pair in enumerate(forms)
    for plural, phrase in enumerate(pair)
}
_PARA_RELATION_OPPOSITE = {
    phrase: PARA_RELATION[OPPOSITE_RELATION[relation]][min(variant, len(PARA_RELATION[OPPOSITE_RELATION[relation]]) - 1)]
    for relation, words in PARA_RELATION.items()
    for variant, phrase in enumerate(words)
}
_ORDER = re.compile(r"^(first )?(.+?)(, then |, and after that | after | before )(.+)$")


def _phrases(table: dict[str, str]) -> re.Pattern:
    """Whole-word matches of the table's phrases, the longest first."""
    return re.compile(r"\b(" + "|".join(re.escape(p) for p in sorted(table, key=len, reverse=True)) + r")\b")


_ACTION_PHRASE, _RELATION_PHRASE = _phrases(_PARA_ACTION_OPPOSITE), _phrases(_PARA_RELATION_OPPOSITE)


def paraphrase_reversed_actions(text: str) -> list[str]:
    """One text per paraphrased action phrase of `text`, that phrase replaced by the opposite action's phrase in
    the same form ("a tiny red disc drifts left" → "a tiny red disc drifts right")."""
    return [text[: m.start()] + _PARA_ACTION_OPPOSITE[m.group(1)] + text[m.end() :] for m in _ACTION_PHRASE.finditer(text)]


def paraphrase_opposite_relation(text: str) -> str | None:
    """`text` with its paraphrased relation phrase replaced by the opposite one ("over" → "under"); in either
    relation form ("with the S over the O", "where the O is under the S") that negates the relation. None without
    one."""
    m = _RELATION_PHRASE.search(text)
    return None if m is None else text[: m.start()] + _PARA_RELATION_OPPOSITE[m.group(1)] + text[m.end() :]


def paraphrase_swapped_events(text: str) -> str | None:
    """`text` with the two event clauses of a paraphrased "then" caption swapped and its connective kept ("first A,
    then B" → "first B, then A", "B after A" → "A after B"); None when it has no such connective."""
    m = _ORDER.match(text)
    return None if m is None else f"{m.group(1) or ''}{m.group(4)}{m.group(3)}{m.group(2)}"


# parser ------------------------------------------------------------------------------------------------------------
class _ParseFailure(Exception):
    pass


def _match(tokens: list[str], pos: int, table: dict[tuple[str, ...], object]) -> tuple[object, int]:
    """Longest phrase of `table` starting at tokens[pos] → (value, new position)."""
    for length in (4, 3, 2, 1):
        phrase = tuple(tokens[pos : pos + length])
        if len(phrase) == length and phrase in table:
            return table[phrase], pos + length
    raise _ParseFailure(f"unexpected '{' '.join(tokens[pos:pos + 3]) or 'end of text'}'")


def _parse_clause(tokens: list[str]) -> Group:
    if not tokens:
        raise _ParseFailure("empty clause")
    pos = 0
    count, pos = _match(tokens, pos, _COUNTS)
    size, pos = _match(tokens, pos, _SIZES)
    colour, pos = _match(tokens, pos, _COLOURS)
    shape, pos = _match(tokens, pos, _SHAPES)
    action, pos = _match(tokens, pos, _ACTIONS)
    if pos != len(tokens):
        raise _ParseFailure(f"unexpected '{' '.join(tokens[pos:])}'")
    return Group(shape=shape, colour=colour, size=size, action=action, count=int(count))


_CONNECTIVES = (  # (tokens, link, swapped clause order)
    (("and", "after", "that"), "then", False),
    (("then",), "then", False),
    (("before",), "then", False),
    (("after",), "then", True),
    (("while",), "and", False),
    (("as",), "and", False),
    (("and",), "and", False),
)


def _split_relation(tokens: list[str]) -> tuple[list[str], list[str] | None]:
    for i in range(len(tokens) - 1):
        if tokens[i] in ("with", "where") and tokens[i + 1] == "the":
            return tokens[:i], tokens[i + 1 :]
    return tokens, None


def _match_optional(tokens: list[str], pos: int, table: dict[tuple[str, ...], object]) -> tuple[object, int]:
    try:
        return _match(tokens, pos, table)
    except _ParseFailure:
        return None, pos


def _parse_relation_noun(tokens: list[str], pos: int) -> tuple[tuple[str, str | None], int]:
    """'[colour] S' → ((shape, colour or None), new position); the colour is optional (older worlds left it out)."""
    colour, pos = _match_optional(tokens, pos, _COLOURS)
    shape, pos = _match(tokens, pos, _SHAPES)
    return (shape, colour), pos


def _parse_relation(tokens: list[str]) -> tuple[tuple[str, str | None], str, tuple[str, str | None]]:
    """'the [C] S REL the [C] S' or 'the [C] S is REL the [C] S' → (subject look, relation, object look), a look
    being (shape, colour or None)."""
    if not tokens or tokens[0] != "the":
        raise _ParseFailure("relation must start with 'the'")
    subj, pos = _parse_relation_noun(tokens, 1)
    if pos < len(tokens) and tokens[pos] == "is":
        pos += 1
    rel, pos = _match(tokens, pos, _RELATIONS)
    if pos >= len(tokens) or tokens[pos] != "the":
        raise _ParseFailure("expected 'the' after the relation word")
    obj, pos = _parse_relation_noun(tokens, pos + 1)
    if pos != len(tokens):
        raise _ParseFailure(f"unexpected '{' '.join(tokens[pos:])}'")
    return subj, rel, obj


def tokenize(text: str) -> list[str]:
    return re.sub(r"[,;.!?\"]", " ", text.lower()).split()


def parse(text: str) -> Scene:
    """Caption (either family) → scene graph. Raises UserInputError naming the text when it is not a caption."""
    try:
        return _parse(tokenize(text))
    except _ParseFailure as exc:
        raise UserInputError(
            f"cannot parse prompt '{text}': {exc}",
            hint="prompts follow the world's caption templates, e.g. 'one big red circle moves left then one small blue square grows'",
        ) from None


def _parse(tokens: list[str]) -> Scene:
    head, rel_tokens = _split_relation(tokens)
    if head and head[0] == "first":
        head = head[1:]
    for i in range(len(head)):
        for conn, link, swapped in _CONNECTIVES:
            if tuple(head[i : i + len(conn)]) == conn:
                left, right = _parse_clause(head[:i]), _parse_clause(head[i + len(conn) :])
                groups = (right, left) if swapped else (left, right)
                return _finish(groups, link, rel_tokens)
    return _finish((_parse_clause(head),), "single", rel_tokens)


def _finish(groups: tuple[Group, ...], link: str, rel_tokens: list[str] | None) -> Scene:
    relation = None
    if rel_tokens is not None:
        if link != "and" or len(groups) != 2:
            raise _ParseFailure("a relation needs two objects joined by 'and'")
        (subj, subj_colour), rel, (obj, obj_colour) = _parse_relation(rel_tokens)
        shapes = [g.shape for g in groups]
        if subj == obj or subj not in shapes or obj not in shapes or shapes[0] == shapes[1]:
            raise _ParseFailure("the relation must name the two different shapes of the caption")
        for shape, colour in ((subj, subj_colour), (obj, obj_colour)):
            if colour is not None and groups[shapes.index(shape)].colour != colour:
                raise _ParseFailure(f"the relation names a {colour} {shape} but the {shape} is {groups[shapes.index(shape)].colour}")
        relation = Relation(shapes.index(subj), rel, shapes.index(obj))
    return Scene(groups=groups, link=link, relation=relation)
