"""The `limner` command's Typer app: a bad setting is one line, never a traceback, and each
command's summary in a command list is its docstring's first paragraph on one line (Typer keeps
the source's line breaks there, which cut sentences in the middle)."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from limner.errors import ConfigurationError
from limner.settings_errors import describe, is_settings_error


class LimnerTyper(typer.Typer):
    """A Typer app whose commands may build `Settings()` anywhere: an invalid `LIMNER_` value
    stops the command with one line naming the variable (exit 2), whichever command it was."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        register = super().command

        def decorator(function: Any) -> Any:
            if "short_help" not in kwargs and function.__doc__:
                first = inspect.cleandoc(function.__doc__).split("\n\n")[0]
                kwargs["short_help"] = " ".join(first.split())
            return register(*args, **kwargs)(function)

        return decorator

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except (ValidationError, SettingsError) as error:
            if not is_settings_error(error):
                raise
            print(f"error: {describe(error)}", file=sys.stderr)
            sys.exit(2)
        except ConfigurationError as error:
            print(f"error: {error.message}", file=sys.stderr)
            sys.exit(2)
