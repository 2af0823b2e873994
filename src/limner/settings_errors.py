"""One line for a bad setting: which `LIMNER_` variable, and what it accepts.

Pydantic's report is a multi-line block naming Python fields; an operator needs the variable.
Values are not echoed for settings that may hold secrets (keys, URLs with passwords).
"""

from __future__ import annotations

from pydantic import ValidationError

_SECRET_HINTS = ("key", "secret", "url", "password", "token")


def is_settings_error(error: BaseException) -> bool:
    return isinstance(error, ValidationError) and error.title == "Settings"


def describe_settings_error(error: ValidationError) -> str:
    """`LIMNER_X='value' is not accepted: <what is>` for the first problem (and how many more)."""
    problems = error.errors(include_url=False)
    first = problems[0]
    field = ".".join(str(part) for part in first.get("loc", ()) if not isinstance(part, int))
    name = f"LIMNER_{field.split('.')[0].upper()}" if field else "a LIMNER_ setting"
    reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    reason = reason.replace("Input should be", "it should be")
    shown = ""
    if field and not any(hint in field for hint in _SECRET_HINTS) and "input" in first:
        shown = f"={first['input']!r}"
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return f"{name}{shown} is not accepted: {reason}{more}"
