"""The error only the OpenAI surface raises (`limner.api.errors` maps it, like all others).

LimnerError
└── ValidationFailed
    └── UnsupportedParameter     (400; OpenAI shape: code `unsupported_parameter`, `param` names it)
"""

from __future__ import annotations

from limner.errors import ValidationFailed

__all__ = ["UnsupportedParameter"]


class UnsupportedParameter(ValidationFailed):
    """A parameter (or one of its values) this server does not offer: 400, naming it. A
    `ValidationFailed`, so the v1 mapping would show it as `validation_error` on the field."""
