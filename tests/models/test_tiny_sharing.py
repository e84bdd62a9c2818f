"""What the tiny model computes once for several sequences: a text row per distinct caption as the model reads it,
a score per distinct (video, text row)."""

import torch

from synvita.models.tiny.model import distinct_sequences
from synvita.models.tiny.text import WordTokenizer, build_vocab, distinct_rows

POS = "one big red circle moves left"
NEG = "one big red square moves left"
LONGER = "one big red square and a blue ring move left"


def tokenizer():
    return WordTokenizer(build_vocab([POS, NEG, LONGER]), max_len=16)


def test_copies_that_differ_only_in_masked_words_are_one_text_row():
    text = tokenizer().batch([POS, NEG, POS, POS, NEG], [NEG, POS, None, LONGER, None], torch.device("cpu"))
    distinct, rows = distinct_rows(text)
    assert rows[0] == rows[1]  # "one big red ▇ moves left" from circle and from square
    assert len(set(rows[1:].tolist())) == 4  # the plain captions and the copy masked against LONGER stay apart
    again = distinct.select(rows)
    keep = text.attention_mask
    assert torch.equal(again.ids[keep], text.ids[keep]) and (again.ids[~keep] == 0).all()
    assert torch.equal(again.attention_mask, keep) and torch.equal(again.positions, text.positions)


def test_distinct_sequences_name_the_first_of_each_group_in_batch_order():
    video = torch.tensor([3, 3, 1, 3, 1, 0])
    rows = torch.tensor([2, 2, 2, 1, 2, 2])
    first, group = distinct_sequences(video, rows)
    assert first.tolist() == [0, 2, 3, 5]
    assert group.tolist() == [0, 0, 1, 2, 1, 3]
    scores = torch.tensor([10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    assert scores[first][group].tolist() == [10.0, 10.0, 12.0, 13.0, 12.0, 15.0]


def test_distinct_sequences_of_an_empty_batch():
    first, group = distinct_sequences(torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long))
    assert first.numel() == 0 and group.numel() == 0
