"""Pure domain code: request models, validation, pricing and captions. No I/O here."""
