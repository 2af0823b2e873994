"""Hub failures in one line (pure: no torch, no diffusers), for the start-up and `auto`."""

from __future__ import annotations

__all__ = ["failure_reason"]


def failure_reason(error: BaseException) -> str:
    """The innermost cause of a Hub failure, with the outer message: huggingface_hub wraps the
    real reason (a DNS failure, a 401, a missing revision) and says "see the stacktrace above",
    which a command-line user never sees."""
    chain = [error]
    while (cause := chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 10:
        chain.append(cause)
    root = chain[-1]
    outer = str(error).split(" Please check out the root cause", 1)[0].strip()
    if root is error:
        return outer
    if outer == str(root):  # the wrapper only repeats the cause
        return f"{type(root).__name__}: {root}"
    return f"{type(root).__name__}: {root} ({outer})"
