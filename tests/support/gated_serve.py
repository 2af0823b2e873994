"""Entry point: `python -m tests.support.gated_serve` (see `tests.support.remote_gate`)."""

from tests.support.remote_gate import main

if __name__ == "__main__":
    main()
