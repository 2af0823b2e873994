"""One line for a bad setting: which `LIMNER_` variable, and what it accepts.

Pydantic's report is a multi-line block naming Python fields; an operator needs the variable.
Values are not echoed for settings that may hold secrets (keys, URLs with passwords).
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from pydantic_settings import SettingsError

_SECRET_HINTS = ("key", "secret", "url", "password", "token")


def is_settings_error(error: BaseException) -> bool:
    return isinstance(error, SettingsError) or (
        isinstance(error, ValidationError) and error.title == "Settings"
    )


def describe(error: BaseException) -> str:
    """One line for either kind of settings error."""
    if isinstance(error, ValidationError):
        return describe_settings_error(error)
    # pydantic-settings could not even decode the value (a list or object setting)
    match = re.search(r'field "(\w+)"', str(error))
    name = f"LIMNER_{match.group(1).upper()}" if match else "a LIMNER_ setting"
    return f"{name} is not accepted: it should be JSON (a list such as [0, 5, 300])"


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
