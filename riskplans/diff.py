"""Two versions of a field, marked up word by word for the comparison page.

Every piece of the text is escaped here before the markup is put round it, so what staff
wrote (which may hold `<` or `&`) is shown as they wrote it and never read as HTML.
"""

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_WORD = re.compile(r"(\s*)(\w[\w'’-]*|[^\w\s])")  # a word, or one mark of punctuation


@dataclass(frozen=True)
class _Words:
    words: list[str]
    spaces: list[str]  # the whitespace before each word
    tail: str  # whitespace after the last word

    @classmethod
    def of(cls, text: str, *, whole: bool) -> "_Words":
        text = text.replace("\r\n", "\n")
        if whole:
            return cls([text] if text else [], [""] if text else [], "")
        parts = _WORD.findall(text)
        consumed = sum(len(space) + len(word) for space, word in parts)
        return cls([w for _, w in parts], [s for s, _ in parts], text[consumed:])


def _html(text: str) -> str:
    return str(escape(text)).replace("\n", "<br>\n")


_MARKS = {
    "del": ("app-diff__removed", "removed: ", " (end of removed text)"),
    "ins": ("app-diff__added", "added: ", " (end of added text)"),
}


def _side(side: _Words, spans: list[tuple[int, int, bool]], tag: str) -> SafeString:
    css, before, after = _MARKS[tag]
    out: list[str] = []
    for start, end, changed in spans:
        if start == end:
            continue
        if not changed:
            out += [_html(side.spaces[k]) + _html(side.words[k]) for k in range(start, end)]
            continue
        inner = _html(side.words[start]) + "".join(
            _html(side.spaces[k]) + _html(side.words[k]) for k in range(start + 1, end)
        )
        out.append(
            f'{_html(side.spaces[start])}<{tag} class="{css}">'
            f'<span class="govuk-visually-hidden">{before}</span>{inner}'
            f'<span class="govuk-visually-hidden">{after}</span></{tag}>'
        )
    out.append(_html(side.tail))
    # Safe: every piece of text above went through `_html` (escaped) before it was joined.
    return mark_safe("".join(out))


def marked(old: str, new: str, *, whole: bool = False) -> tuple[SafeString, SafeString]:
    """The old text with what was taken out in `<del>` and the new with what was put in in
    `<ins>`, each with words a screen reader says; word by word, or the `whole` value at once
    (a date, a status) when a part of it changing means nothing."""
    left, right = _Words.of(old, whole=whole), _Words.of(new, whole=whole)
    matcher = difflib.SequenceMatcher(a=left.words, b=right.words, autojunk=False)
    ops = [[op != "equal", i1, i2, j1, j2] for op, i1, i2, j1, j2 in matcher.get_opcodes()]
    # A lone common word ("the", "and") between two changes is part of the rewrite: marking
    # it unchanged would cut one rewritten sentence into confetti.
    for k in range(1, len(ops) - 1):
        if not ops[k][0] and ops[k][2] - ops[k][1] == 1 and ops[k - 1][0] and ops[k + 1][0]:
            ops[k][0] = True
    merged: list[list] = []
    for op in ops:
        if merged and merged[-1][0] and op[0]:
            merged[-1][2], merged[-1][4] = op[2], op[4]
        else:
            merged.append(op)
    old_spans = [(i1, i2, changed) for changed, i1, i2, _, _ in merged]
    new_spans = [(j1, j2, changed) for changed, _, _, j1, j2 in merged]
    return _side(left, old_spans, "del"), _side(right, new_spans, "ins")
