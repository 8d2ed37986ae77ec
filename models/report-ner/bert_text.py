"""BERT text handling in Python, mirroring what transformers.js does with our tokenizer.json.

BertNormalizer (clean_text, handle_chinese_chars, strip_accents follows lowercase, lowercase) → BertPreTokenizer
(split on whitespace and punctuation) → greedy longest-match WordPiece with '##' continuations. src/nlp/bert-words.ts
implements the same word split in TypeScript to map tokens back to character offsets; keep the three in step.
"""
from __future__ import annotations

import unicodedata


def is_cjk(cp: int) -> bool:
    # the ranges BertNormalizer treats as "Chinese characters" (each becomes its own word)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


def is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith('P')


def is_control(ch: str) -> bool:
    if ch in '\t\n\r':
        return False
    return unicodedata.category(ch) in ('Cc', 'Cf')


def normalize_char(ch: str) -> str:
    """Lowercase and strip accents of one character ('' if BERT drops it)."""
    cp = ord(ch)
    if cp == 0 or cp == 0xFFFD or is_control(ch):
        return ''
    if ch.isspace():
        return ' '
    out = ch.lower()
    out = ''.join(c for c in unicodedata.normalize('NFD', out) if unicodedata.category(c) != 'Mn')
    return out


def words(text: str) -> list[tuple[str, int, int]]:
    """BERT words of text as (normalized word, start, end) with character offsets into text."""
    out: list[tuple[str, int, int]] = []
    cur = ''
    start = -1
    end = -1

    def flush() -> None:
        nonlocal cur, start
        if cur:
            out.append((cur, start, end))
        cur, start = '', -1

    for i, ch in enumerate(text):
        n = normalize_char(ch)
        if n == '':
            continue
        if n == ' ':
            flush()
            continue
        if is_cjk(ord(ch)) or is_punct(ch):
            flush()
            out.append((n, i, i + 1))
            continue
        if not cur:
            start = i
        cur += n
        end = i + 1
    flush()
    return out


def wordpiece(word: str, vocab: dict[str, int], max_chars: int = 100) -> list[str]:
    if len(word) > max_chars:
        return ['[UNK]']
    pieces: list[str] = []
    start = 0
    while start < len(word):
        end = len(word)
        cur = None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = '##' + sub
            if sub in vocab:
                cur = sub
                break
            end -= 1
        if cur is None:
            return ['[UNK]']
        pieces.append(cur)
        start = end
    return pieces
