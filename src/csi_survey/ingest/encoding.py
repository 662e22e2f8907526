"""Decoding a text (CSV) export: which encoding, with what evidence, and when to refuse.

Order (the first rule that applies wins):

1. ``encoding=`` given (``--encoding``): that codec, strictly (an undecodable byte is an error).
2. A byte order mark: UTF-8 with BOM (``utf-8-sig``, "CSV UTF-8" of Excel) or UTF-16.
3. UTF-16 without a BOM, recognised from its NUL bytes (the ASCII characters put a NUL on one
   parity of the byte positions).
4. UTF-8 (and plain ASCII), when the whole file decodes strictly.
5. The legacy East-Asian code pages that spreadsheet programs write as "CSV": **GB18030** (a
   superset of GBK, simplified Chinese Excel), **Big5** (``cp950``, traditional Chinese Excel) and
   **Shift-JIS** (``cp932``, Japanese Excel). A two-byte text in one of them very often decodes
   without error in another one too, as mojibake (臺北 in Big5 read as GBK is 蚾北-like nonsense), so
   the choice needs evidence:

   * *candidates*: the codecs among the three that decode the sample (the first 256 kB, cut at a
     line end) strictly;
   * *commonness* of each candidate's decoding: the share of its non-ASCII characters that lie in
     the encoding's **level-1** (most frequent) set — GB2312 level-1 hanzi and the GB2312 symbol,
     kana and punctuation rows (lead bytes ``A1``–``A5``, ``B0``–``D7``); Big5 symbols and level-1
     hanzi (``A140``–``A3BF``, ``A440``–``C67E``); Shift-JIS symbols, kana (``8140``–``84BE``) and
     JIS level-1 kanji (``889F``–``9872``). Real text in the right code page is mostly made of these
     characters (0.8–1.0 on survey texts); mojibake lands in rare characters, half-width katakana
     or private-use code points (0.0–0.5);
   * *chaos* measured by ``charset-normalizer`` (its "mess ratio" of each candidate's decoding,
     ``charset_normalizer.from_bytes(sample, cp_isolation=candidates)``) — an independent check.

   The candidates charset-normalizer rejects (too messy to be text) are set aside, unless it rejects
   all of them. The winner is the remaining candidate with the highest commonness if it is at least
   0.5 and exceeds each other remaining candidate by at least 0.2, and charset-normalizer does not
   find it clearly messier (by more than 0.1) than another candidate. Otherwise the file is
   **refused** (:class:`~csi_survey.exceptions.InputFileError`) naming the candidates with a
   sample of each decoding, and the fix: ``--encoding`` / ``encoding=``.

6. Anything else (cp1252, Latin-1, …) is refused with charset-normalizer's guess in the hint; these
   single-byte code pages decode any byte, so there is no evidence to pick one silently.

The sample is also decoded in full with the winner; a file whose later bytes do not decode is
refused the same way.
"""

from __future__ import annotations

import codecs
from collections import Counter

from ..exceptions import InputFileError

__all__ = ["decode_text", "LEGACY_CJK", "looks_utf16"]

#: The legacy CJK code pages considered, in the order they are listed in messages.
LEGACY_CJK = ("gb18030", "cp950", "cp932")
_LABELS = {"gb18030": "GB18030/GBK", "cp950": "Big5 (cp950)", "cp932": "Shift-JIS (cp932)"}
_SAMPLE = 256 * 1024
_MIN_SCORE = 0.5
_MARGIN = 0.2
_CHAOS_MARGIN = 0.1


def _common_gb(b: bytes) -> bool:
    return len(b) == 2 and (0xA1 <= b[0] <= 0xA5 or 0xB0 <= b[0] <= 0xD7)


def _common_big5(b: bytes) -> bool:
    if len(b) != 2:
        return False
    code = b[0] << 8 | b[1]
    return 0xA140 <= code <= 0xA3BF or 0xA440 <= code <= 0xC67E


def _common_sjis(b: bytes) -> bool:
    if len(b) != 2:  # one byte: half-width katakana
        return False
    code = b[0] << 8 | b[1]
    return 0x8140 <= code <= 0x84BE or 0x889F <= code <= 0x9872


_COMMON = {"gb18030": _common_gb, "cp950": _common_big5, "cp932": _common_sjis}


def commonness(text: str, codec: str) -> tuple[float, int]:
    """Share of the non-ASCII characters of ``text`` in ``codec``'s level-1 set, and their number."""
    counts = Counter(ch for ch in text if ord(ch) >= 128)
    total = sum(counts.values())
    if not total:
        return 1.0, 0
    test = _COMMON[codec]
    good = 0
    for ch, k in counts.items():
        try:
            if test(ch.encode(codec)):
                good += k
        except UnicodeEncodeError:
            pass
    return good / total, total


def _chaos(sample: bytes, candidates: list[str]) -> dict[str, float]:
    """charset-normalizer's mess ratio of each candidate's decoding (missing: it rejected it)."""
    try:
        from charset_normalizer import from_bytes  # lazy: only legacy-encoded files need it
    except ImportError:  # pragma: no cover - a declared dependency
        return {}
    try:
        results = from_bytes(sample, cp_isolation=list(candidates), explain=False)
    except Exception:  # noqa: BLE001 - evidence only; never fail the read because of it
        return {}
    out: dict[str, float] = {}
    for m in results:
        name = codecs.lookup(m.encoding).name
        for c in candidates:
            if codecs.lookup(c).name == name:
                out[c] = float(m.chaos)
    return out


def _guess(sample: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes  # lazy: only for the message of a refused file
        best = from_bytes(sample, explain=False).best()
    except Exception:  # noqa: BLE001
        return None
    return None if best is None else best.encoding


def looks_utf16(raw: bytes) -> bool:
    """UTF-16 without BOM: the ASCII characters (separators, digits, line ends) put NUL bytes on one
    parity (odd positions for little-endian); CJK text has few NULs, but they are not balanced."""
    head = raw[:400]
    if len(head) < 4 or b"\x00" not in head:
        return False
    z_odd, z_even = head[1::2].count(0), head[0::2].count(0)
    return max(z_odd, z_even) >= 2 and max(z_odd, z_even) >= 4 * min(z_odd, z_even)


def _snippet(text: str) -> str:
    """The first line holding a non-ASCII character, shortened."""
    for line in text.splitlines():
        if any(ord(ch) >= 128 for ch in line):
            line = line.strip()
            return line if len(line) <= 40 else line[:40] + "…"
    return text[:40]


def _explicit(raw: bytes, name: str, encoding: str) -> tuple[str, str]:
    try:
        return raw.decode(encoding), encoding
    except LookupError:
        raise InputFileError(
            f"Unknown encoding {encoding!r} for {name}",
            hint="use a Python codec name such as utf-8, utf-8-sig, gb18030, gbk, big5, cp950, shift_jis, cp932, "
            "utf-16 or cp1252.",
        ) from None
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{name} cannot be decoded as {encoding}: invalid byte(s) at position {exc.start}",
            hint="leave out the encoding to detect it, or pass the encoding the file was saved with.",
        ) from None
    except (UnicodeError, ValueError, TypeError) as exc:
        raise InputFileError(
            f"{name} cannot be decoded as {encoding} ({exc})",
            hint="leave out the encoding to detect it, or pass the encoding the file was saved with.",
        ) from None


def decode_text(raw: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV export and the codec used (see the module docstring for the rules).

    Raises :class:`InputFileError` when ``encoding`` is unknown or does not fit, and when the
    encoding cannot be decided with evidence.
    """
    if encoding is not None:
        return _explicit(raw, name, encoding)
    if raw.startswith(b"\xef\xbb\xbf"):
        fixed = "utf-8-sig"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        fixed = "utf-16"
    elif looks_utf16(raw):
        head = raw[:400]
        fixed = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    else:
        fixed = None
    if fixed is not None:
        try:
            return raw.decode(fixed), fixed
        except UnicodeDecodeError:
            pass  # a BOM-like start of some other encoding: go on with the detection
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _legacy(raw, name)


def _legacy(raw: bytes, name: str) -> tuple[str, str]:
    sample = raw[:_SAMPLE]
    if len(raw) > _SAMPLE:
        cut = sample.rfind(b"\n")
        if cut > 0:
            sample = sample[: cut + 1]
    decoded: dict[str, str] = {}
    for c in LEGACY_CJK:
        try:
            decoded[c] = sample.decode(c)
        except UnicodeDecodeError:
            continue
    if not decoded:
        guess = _guess(sample)
        extra = f" (charset-normalizer guesses {guess})" if guess else ""
        raise InputFileError(
            f"The encoding of {name} cannot be detected: it is neither UTF-8, UTF-16, GB18030/GBK, Big5 nor "
            f"Shift-JIS text{extra}",
            hint="save the file as 'CSV UTF-8' in Excel, or pass the encoding it was saved with "
            "(encoding='cp1252', --encoding cp1252, …).",
        )
    scores = {c: commonness(t, c)[0] for c, t in decoded.items()}
    ranked = sorted(decoded, key=lambda c: -scores[c])
    # charset-normalizer: the candidates it accepts as plausible text, and how messy each one reads
    chaos = _chaos(sample, list(decoded)) if len(decoded) > 1 else {}
    plausible = [c for c in ranked if c in chaos] or ranked
    best = plausible[0]
    ok = scores[best] >= _MIN_SCORE and all(scores[best] - scores[c] >= _MARGIN for c in plausible[1:])
    if ok and best in chaos:
        ok = all(chaos[best] - v <= _CHAOS_MARGIN for c, v in chaos.items() if c != best)
    if ok:
        try:
            return raw.decode(best), best
        except UnicodeDecodeError as exc:
            detail = f"its bytes at position {exc.start} are not {_LABELS[best]}"
        else:  # pragma: no cover
            detail = ""
    else:
        detail = ""
    shown = "; ".join(f"as {_LABELS[c]}: {_snippet(decoded[c])!r}" for c in ranked)
    names = ", ".join(c for c in ranked)
    if detail:
        why = detail
    elif len(ranked) > 1:
        why = "it decodes as " + " and as ".join(_LABELS[c] for c in ranked) + ", and the text does not show which is right"
    else:
        why = f"it decodes only as {_LABELS[best]}, but few of its characters are common {_LABELS[best]} text"
    raise InputFileError(
        f"The encoding of {name} is uncertain: {why}. Read {shown}",
        hint=f"pass the encoding the file was saved with, one of {names} (--encoding {ranked[0]}, encoding='{ranked[0]}'): "
        "gb18030 = GBK, simplified Chinese; cp950 = Big5, traditional Chinese; cp932 = Shift-JIS, Japanese; "
        "or save the file as 'CSV UTF-8'.",
    )
