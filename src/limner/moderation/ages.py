"""Age detection: does a text state an age under 18, in digits or in words?

This module owns reading ages out of normalised text (`normalize.TextViews`). An age counts only
when it is written as an age: followed by an age unit ("15yo", "15 y/o", "16yrs", "16 years old",
"twelve-year-old", "6 months old", "fifteen summers old"), after an age word ("aged fifteen",
"age: 16"), after a person ("a girl of fifteen"), after a bound ("under 18", "not yet 18", "not
18 yet"), as a future birthday ("turning 18 next year", "two years before her 18th birthday", "a
year short of eighteen": the age now is what is left), after a subject ("she is 15", "just turned
14"), after an appearance verb ("looks 14", "appears to be fifteen"), as "sixteen going on
seventeen", as a birthday ("her 15th birthday"), as a school grade or year ("5th grade", "grade 7",
"a year 9 student", "a class 9 girl") or as a birth year against today's date (`limner.clock`:
"born in 2011"; the youngest age the year allows counts, so a birth year eighteen years ago is
still a minor's). Numbers reach the patterns in digits of any script (`normalize` makes them ASCII)
and, through `agenumbers`, as words, Roman numerals ("XV") and arithmetic ("twice eight"); "five
and thirty" is 35. A bare number is never an age: "3 cats", "1 2 3 4 apples", "a 1990s car" and
"the 15th floor" say nothing about anyone's age, and a measure after a number makes it none
("5 ft 4 in" is a height, while "aged 15 in the bedroom" is an age: "in" is inches only before
"tall", "wide" and the like or at the end).

Known trade-offs: "age" followed by a number is read as an age, so "ice age 2" is a minor
indicator, and so is "a 12 year old scotch". That only matters in the adult style or beside sexual
wording, where refusing is the safe side.
"""

from __future__ import annotations

import re

from limner.clock import utc_today
from limner.moderation.agenumbers import NUMBER, number_value, rewrite_numbers
from limner.moderation.normalize import TextViews, analyze

__all__ = ["ADULT_AGE", "mentions_minor_age", "minor_ages", "states_adult_age", "tag_ages"]

#: the first age that is not a minor
ADULT_AGE = 18
#: the oldest age `appearance.age` accepts: a larger number is no person's stated age here
MAX_ADULT_AGE = 70

_ORDINALS = [
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
    "sixteenth", "seventeenth", "eighteenth", "nineteenth",
]  # fmt: skip
_ORDINAL_VALUES: dict[str, int] = {word: n for n, word in enumerate(_ORDINALS)}
_NUM = NUMBER
_ORD = rf"(?:\d{{1,2}} ?(?:st|nd|rd|th)|{'|'.join(sorted(_ORDINALS, key=len, reverse=True))})"
# people a number after "of" gives the age of ("a girl of fifteen")
_PERSON = (
    r"(?:girl|boy|lass|lad|lassie|maid|maiden|daughter|son|kid|child|youth|youngster|woman|man|"
    r"lady|beauty|bride|princess|prince|student|pupil|model|wife|sister|brother|niece|nephew|"
    r"person|someone|she|he|her|him)"
)
_SEASONS = r"(?:summers|winters|springs|autumns)"
# "born" in the Latin-script languages (their ASCII forms): "b. 2013", "nacida en", "nee en"
_BORN = (
    r"(?:born|b|nacida|nacido|nascida|nascido|nee|ne|nata|nato|geboren|jahrgang|urodzona|"
    r"urodzony|urodzila|urodzil|dogumlu|dogum|lahir|sinh nam|sinh|rocznik)"
)
# a time in the future before which someone is not yet that age ("turning 18 next year")
_LATER = (
    r"(?:next|in|soon|later|after|this|tomorrow|on (?:her|his|their|my|your)|within|"
    r"come|coming|by)"
)

# Words after a number that make it a measure, not an age ("under 10 minutes", "she is 5 feet").
_MEASURE = (
    r"(?! (?:percent|pc|minutes?|mins?|seconds?|secs?|hours?|hrs?|days?|weeks?|months?|"
    r"dollars?|usd|euros?|eur|pounds?|quid|bucks|kg|kilos?|lbs?|grams?|g|feet|foot|ft|inch|"
    # "in" is inches only as a measure ("4 in tall", "5 ft 4 in"), never "aged 15 in the bedroom"
    r"inches|in(?: (?:tall|high|wide|long|deep|x|by)\b|$)|cm|mm|m|meters?|metres?|km|miles?|mph|"
    r"kmh|degrees?|steps?|times|x|of|stories|storeys?|floors?|people|persons|men|women|cats?|"
    r"dogs?)\b)"
)

# (pattern, how to turn the matched number into an age in years)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        # "15yo", "15 y/o", "16 years old", "twelve-year-old", "15 yrs of age"
        (
            rf"\b(?P<n>{_NUM}) (?:yo|y o|yoa|y o a|yrs?|years?) ?(?:old|olds|of age)\b"
            rf"|\b(?P<n2>{_NUM}) (?:yo|y o|yoa|y o a)\b",
            "years",
        ),
        # "16yrs", "16 yr", "16y" (the age view splits digits from letters)
        (
            r"(?<!for )(?<!married )(?<!together )(?<!past )(?<!last )(?<!over )"
            r"\b(?P<n>\d{1,2}) (?:yrs?|y)\b(?! (?:ago|later|earlier|before|after)\b)",
            "years",
        ),
        # "a girl of fifteen", "a lass of sixteen summers", "she has seen fifteen summers"
        (
            rf"\b{_PERSON} of (?:only |just |barely |about |around |some )?(?P<n>{_NUM})\b"
            r"(?! (?:\d|minutes?|hours?|days?|weeks?|months?|others|them|us|people|friends)\b)"
            rf"|\b(?:seen|lived|lived through|of) (?P<n2>{_NUM}) {_SEASONS}\b"
            rf"|\b(?P<n3>{_NUM}) {_SEASONS} old\b",
            "years",
        ),
        # "woman 29", "girl 14": a person and a number, the tag-list idiom
        (
            r"\b(?:woman|man|lady|guy|girl|boy|female|male|wife|husband|gal|dude) "
            rf"(?P<n>{_NUM})\b(?! ?\d)(?! (?:and|or|to|x|of|in a|on|more)\b)" + _MEASURE,
            "years",
        ),
        # "sixteen going on seventeen"
        (rf"\b(?P<n>{_NUM}) going on {_NUM}\b", "years"),
        # "not 18 yet", "not even 16", "not quite eighteen"
        (
            rf"\bnot (?:even |quite |yet |really )?(?P<n>{_NUM})(?: yet)?\b(?! ?\d)" + _MEASURE,
            "bound",
        ),
        # "turning 18 next year", "turns eighteen in two months", "will be 18 soon"
        (
            rf"\b(?:turning|turns|turn|will be|ll be|going to be|becomes|becoming|be) "
            rf"(?P<n>{_NUM}) {_LATER}\b",
            "bound",
        ),
        # "two years before her 18th birthday", "a year short of eighteen", "months until 18"
        (
            rf"\b(?P<d>{_NUM}|a|an|one|a few|few|some|several|a couple of|a couple) "
            r"(?:years?|yrs?|months?|weeks?|days?) (?:before|until|till|til|to|short of|shy of|"
            r"away from|from|under|younger than|below) (?:being |turning |her |his |their |my |"
            r"your |the legal age of |the age of |legal age |the )?"
            rf"(?:(?P<o>{_ORD}) birthday|(?P<n>{_NUM})\b(?! ?\d)" + _MEASURE + ")",
            "before",
        ),
        # "born in 2011", "born 2010", "born on 3 may 2012", "b. 2013", "nacida en 2011",
        # "Jahrgang 2012"
        (rf"\b{_BORN} (?:[a-z0-9]+ ){{0,3}}?(?P<y>(?:19|20)\d\d)\b", "born"),
        # "born in '11", "a 2012 baby", "2011-born"
        (r"\bborn (?:in )?(?P<yy>[01]\d)\b(?! ?(?:am|pm|h|hours?|minutes?))", "born"),
        (r"\b(?P<y>20[01]\d) (?:born|baby|babies|kid|kids)\b", "born"),
        # "class of 2030": still at school until then
        (r"\b(?:class of|graduating in|graduates in|grad) (?P<y>20\d\d)\b", "graduates"),
        # "15 today", "15F" (age and sex, as in forum posts), "15ish"
        (rf"\b(?P<n>{_NUM}) today\b|\b(?P<n2>\d{{1,2}}) (?:f|ish)\b", "years"),
        (rf"\b(?P<n>{_NUM}) (?:months?|mos?) old\b", "months"),
        (rf"\b(?P<n>{_NUM}) (?:weeks?|wks?|days?) old\b", "infant"),
        # "aged fifteen", "age: 16", "at the age of 12"
        (
            rf"\b(?:aged?|ages|age of|at age|the age of)"
            r"(?: (?:is|was|of|about|around|maybe|approx|approximately|just|only))?"
            rf" (?P<n>{_NUM})\b" + _MEASURE,
            "years",
        ),
        # "under 18", "younger than 16", "not yet 18"
        (
            rf"\b(?:under|below|younger than|not yet|almost|nearly|just under)"
            rf"(?: the age of| age| aged)? (?P<n>{_NUM})\b" + _MEASURE,
            "bound",
        ),
        # "she is 15", "i m 14", "just turned 13"
        (
            rf"\b(?:i am|i m|im|she is|shes|she s|he is|hes|he s|who is|is only|turned|turning)"
            # "she is 5'4" is a height: a second number follows
            rf" (?P<n>{_NUM})\b(?! \d)" + _MEASURE,
            "years",
        ),
        # "looks 14", "appears to be fifteen", "seems 16 at most", "could pass for 15": the
        # apparent age is what a picture shows, so it counts like a stated one
        (
            r"\b(?:looks?|looking|appears?|appearing|seems?|seeming|passes|passing|pass)"
            r"(?: (?:to be|like|for|as))?"
            r"(?: (?:about|around|roughly|maybe|only|barely|just|under|like|at most|no more than|"
            r"no older than|not older than|younger than))?"
            rf" (?P<n>{_NUM})\b(?! \d)" + _MEASURE,
            "years",
        ),
        (rf"\b(?P<o>{_ORD}) birthday\b", "years"),
        (rf"\b(?P<o>{_ORD}) grader?s?\b|\bgrade (?P<n>{_NUM})\b" + _MEASURE, "grade"),
        # secondary school years: Scotland's "S2", Singapore's "Secondary 1", "Form 4", "a
        # fifth-year pupil", Turkey's "8. sinif"
        (
            r"\b(?:s|sec|secondary|form) (?P<n>[1-6]) (?:pupils?|students?|girls?|boys?|class)\b"
            rf"|\b(?P<o>{_ORD}) (?:year|form) (?:pupils?|schoolgirls?|schoolboys?)\b",
            "secondary",
        ),
        (r"\b(?P<n>\d{1,2}) (?:sinif|sinifta|klasse|klasa|classe|klas)\b", "grade"),
        # school years counted from the first (UK "Year 9", India's "class 9"): "a year 9
        # student", "in year 9", "a class 9 girl"
        (
            rf"\b(?:year|yr|class|form|standard|std) (?P<n>{_NUM}) "
            r"(?:students?|pupils?|girls?|boys?|kids?|schoolgirls?|schoolboys?|class|classes|"
            r"uniform)\b"
            rf"|\b(?:in|into|entering|starting) (?:year|yr) (?P<n2>\d{{1,2}})\b"
            r"(?! (?:of|at university|at uni|at college)\b)"
            # "year 8 vibes": a school year of 1 to 11 ("year 1 of the plan" is none)
            r"|\b(?:year|yr) (?P<n3>[1-9]|1[01])\b(?! (?:of|old|olds|anniversary|ago|later|plan|"
            r"warranty|contract|guarantee|and|or|\d)\b)",
            "grade",
        ),
    )
)


def minor_ages(text: str) -> list[int]:
    """Every age under 18 stated in one normalised view (a school grade counts as its age)."""
    return [age for age, _ in _stated(text) if 0 <= age < ADULT_AGE]


def states_adult_age(views: TextViews, original: str) -> bool:
    """Whether the text states an adult's age outright ("woman, 29", "aged 45", "41 years old").

    Only plain statements count, never a bound ("under 30") or a school year.
    """
    if any(
        ADULT_AGE <= age <= MAX_ADULT_AGE and kind == "years"
        for view in (views.ages, *views.words)
        for age, kind in _stated(view)
    ):
        return True
    return any(ADULT_AGE <= age <= MAX_ADULT_AGE for age in _tag_values(original))


def _stated(text: str) -> list[tuple[int, str]]:
    text = rewrite_numbers(text)
    found: list[tuple[int, str]] = []
    for pattern, kind in _PATTERNS:
        for match in pattern.finditer(text):
            age = _age(match, kind)
            if age is not None:
                found.append((age, kind))
    return found


def mentions_minor_age(views: TextViews) -> bool:
    """Whether any view of the text states an age under 18."""
    return any(minor_ages(view) for view in (views.ages, *views.words))


# Tags of a tag-list prompt: what commas, brackets and the like separate ("boy, 11, pool").
# ("24/7" and "1/2" are no tags: a slash does not separate)
_TAG_SEPARATORS = re.compile(r"[,;()\[\]{}|\n\t!?\u2026\u3002\u3001\uff0c]+|\.(?=\s|$)")
# A tag that is only a number is an age ("woman, 28" is the adult style's own idiom); so is a
# number opening a tag with a place after it ("16 in the shower"), but not a time of day.
_TAG_AGE = re.compile(
    rf"(?P<n>{_NUM})(?: f| yo| y| yrs?)?"
    r"|(?P<n2>\d{1,2}) (?:in|at|on) (?:the|a|her|his|my|bed|bath|hotel)\b"
    r"(?! (?:morning|afternoon|evening|night|am|pm|clock|time)\b).*"
)


def tag_ages(text: str) -> list[int]:
    """Ages under 18 written as a tag of their own in the original `text` ("girl, 15, lake")."""
    return [value for value in _tag_values(text) if value < ADULT_AGE]


def _tag_values(text: str) -> list[int]:
    found = []
    for tag in _TAG_SEPARATORS.split(text):
        if not tag.strip() or not any(ch.isdigit() or ch.isalpha() for ch in tag):
            continue
        view = rewrite_numbers(analyze(tag).ages)
        match = _TAG_AGE.fullmatch(view)
        if match is None:
            continue
        value = number_value(match["n"] or match["n2"])
        if value is not None:
            found.append(value)
    return found


def _age(match: re.Match[str], kind: str) -> int | None:
    """The youngest age `match` allows, or None when it is no age."""
    if kind == "born":
        # Born in that year: as young as (this year - that year - 1) until the birthday. A
        # two-digit year is this century's ("born in '11").
        groups = match.groupdict()
        year = int(groups["y"]) if groups.get("y") else 2000 + int(groups["yy"])
        return utc_today().year - year - 1
    if kind == "graduates":
        # finishing school at about 18 in that year
        return ADULT_AGE - (int(match["y"]) - utc_today().year)
    value = _value(match)
    if value is None:
        return None
    if kind == "years":
        return value
    if kind == "months":
        return value // 12
    if kind == "infant":
        return 0
    if kind == "bound":
        return max(value - 1, 0) if value <= ADULT_AGE else None
    if kind == "grade":
        # A grade implies school age: kindergarten is about five, grade N about N + 5.
        return value + 5 if 0 <= value <= 12 else None
    if kind == "secondary":
        # the first secondary year is at about 11 to 12 ("S1", "Secondary 1", "first form")
        return value + 10 if 1 <= value <= 7 else None
    if kind == "before":
        # "two years before her 18th birthday" is 16; "months before" leaves a year less
        before = _before(match["d"], match.group())
        return value - before if before else None
    return None


def _before(raw: str, text: str) -> int | None:
    """How many whole years "N years/months before" takes off (at least one)."""
    words = raw.strip()
    count = number_value(words) if words not in _SOME else _SOME[words]
    if count is None:
        return None
    if re.search(r"\b(?:months?|weeks?|days?)\b", text):
        return 1
    return max(count, 1)


_SOME = {
    "a": 1, "an": 1, "one": 1, "a few": 1, "few": 1, "some": 1, "several": 1,
    "a couple of": 2, "a couple": 2,
}  # fmt: skip


def _value(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    if groups.get("o"):
        return _ordinal_value(groups["o"])
    raw = groups.get("n") or groups.get("n2") or groups.get("n3")
    return number_value(raw) if raw else None


def _ordinal_value(raw: str) -> int | None:
    digits = re.match(r"\d+", raw)
    if digits:
        return int(digits.group())
    return _ORDINAL_VALUES.get(raw)
