"""Aho-Corasick automata (pyahocorasick) over a set of keys, and their leftmost-longest,
non-overlapping matches. Shared by the segmenter (keeping lexicon forms whole) and the term
matcher, so it sits in the bottom layer."""

from __future__ import annotations


def leftmost_longest(automaton, text: str) -> list[tuple[int, int, object]]:
    """Non-overlapping (start, end, value) matches of a pyahocorasick automaton whose values
    are ``(key_length, payload)``: the leftmost match wins, the longest one at that start."""
    best: dict[int, tuple[int, object]] = {}
    for end_index, (length, payload) in automaton.iter(text):
        start = end_index - length + 1
        current = best.get(start)
        if current is None or length > current[0]:
            best[start] = (length, payload)
    out = []
    pos = 0
    for start in sorted(best):
        if start >= pos:
            length, payload = best[start]
            out.append((start, start + length, payload))
            pos = start + length
    return out


def make_automaton(keys: dict[str, object]):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for key, payload in keys.items():
        automaton.add_word(key, (len(key), payload))
    automaton.make_automaton()
    return automaton
