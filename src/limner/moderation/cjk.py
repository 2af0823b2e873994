"""Ages under 18 in Japanese, Chinese and Korean: "14歳", "十四岁", "十四歲", "열네 살", "14세".

This module owns reading ages from the CJK view (`scripts.NativeViews.cjk`: Han, kana, Hangul and
digits with nothing between them). num2words has no Chinese, and Korean counts ages with native
numbers ("열네 살") that it does not write, so the number words are here.

Why each form is read the way it is:

- Han numerals are read as a whole run ("二十五歳" is 25, never "五歳"), so an adult age is never
  read from its last digit.
- Korean native numbers before 살 are matched longest first from the left ("스물다섯살" is 25).
- Sino-Korean numbers before 세 count only with 십 in them ("십사세"): a lone syllable before 세 is
  too often another word ("오세요", "please come").
"""

from __future__ import annotations

import re

__all__ = ["cjk_minor_age"]

ADULT_AGE = 18
_HAN_DIGITS = {
    "\u3007": 0,  # ideographic zero
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KOREAN_UNITS = ["", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉"]
_KOREAN_TENS = ["", "열", "스물", "서른", "마흔", "쉰", "예순", "일흔", "여든", "아흔"]
_KOREAN: dict[str, int] = {}
for _t, _ten in enumerate(_KOREAN_TENS):
    for _u, _unit in enumerate(_KOREAN_UNITS):
        if _ten or _unit:
            _KOREAN[_ten + _unit] = 10 * _t + _u
_KOREAN["스무"] = 20  # 스물 before a counter
_SINO_KOREAN = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}

_HAN_RUN = "[\u3007零一二两兩三四五六七八九十]+"
_PATTERNS = (
    # "14歳", "14才", "14岁", "14歲", "14살", "14세" (the CJK view keeps only CJK and digits, so a
    # digit run is the whole number)
    re.compile(r"(?P<d>\d{1,3})(?:歳|才|岁|歲|살|세)"),
    re.compile(rf"(?P<h>{_HAN_RUN})(?:歳|才|岁|歲)"),
    re.compile(
        "(?P<k>" + "|".join(sorted((w for w in _KOREAN if w), key=len, reverse=True)) + ")살"
    ),
    re.compile("(?P<s>[일이삼사오육칠팔구]?십[일이삼사오육칠팔구]?)세"),
)


def cjk_minor_age(cjk: str) -> str | None:
    """The first age under 18 stated in a CJK view, or None."""
    for pattern in _PATTERNS:
        for match in pattern.finditer(cjk):
            value = _value(match)
            if value is not None and value < ADULT_AGE:
                return match.group()
    return None


def _value(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    if groups.get("d"):
        return int(groups["d"])
    if groups.get("h"):
        return _han_number(groups["h"])
    if groups.get("k"):
        return _KOREAN.get(groups["k"])
    if groups.get("s"):
        return _sino_korean(groups["s"])
    return None


def _han_number(run: str) -> int | None:
    # "十" 10, "十四" 14, "二十" 20, "二十五" 25; a run of digits without 十 ("一五") is 15.
    if "十" not in run:
        digits = [_HAN_DIGITS[ch] for ch in run]
        return int("".join(map(str, digits))) if digits else None
    tens, _, units = run.partition("十")
    if len(tens) > 1 or len(units) > 1:
        return None  # "一百..." and other forms past what an age needs
    ten = _HAN_DIGITS[tens] if tens else 1
    unit = _HAN_DIGITS[units] if units else 0
    return 10 * ten + unit


def _sino_korean(run: str) -> int:
    tens, _, units = run.partition("십")
    return 10 * (_SINO_KOREAN[tens] if tens else 1) + (_SINO_KOREAN[units] if units else 0)
