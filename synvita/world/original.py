"""Names of the world in the original data layouts, shared by the world (`World.benchmark_video_paths`) and the
export that writes them (`synvita.world.export`): one mp4 path per clip, and ATP-Hard's question types."""

from __future__ import annotations


def video_path(bank: str, video_id: str) -> str:
    """The exported (and official-layout) path of one world clip, relative to the export root."""
    return f"videos/{bank}/{video_id}.mp4"


def qa_types(statements: list[list[str]], answers) -> list[str]:
    """NExT-QA type per question (why: synvita.world.export's docstring): "TN" when the answer's event-order flip is among
    its options, else "CH"."""
    from synvita.world.edits import flipped_caption

    out = []
    for options, answer in zip(statements, answers):
        try:
            flipped = flipped_caption(options[int(answer)])
        except Exception:  # a statement the world's parser does not read
            flipped = None
        out.append("TN" if flipped is not None and flipped in options else "CH")
    return out
