"""The `limner` command's last line of defence: a bad setting is one line, never a traceback."""

from __future__ import annotations

import sys
from typing import Any

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from limner.errors import ConfigurationError
from limner.settings_errors import describe, is_settings_error


class LimnerTyper(typer.Typer):
    """A Typer app whose commands may build `Settings()` anywhere: an invalid `LIMNER_` value
    stops the command with one line naming the variable (exit 2), whichever command it was."""

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
