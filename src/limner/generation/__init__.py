"""The generation engine, below `jobs/` and `api/` (nothing here imports HTTP code).

- `states`: the statuses and the only moves between them;
- `lifecycle`: the one place a status changes, with the same settle hooks every time;
- `plan`: a request parsed once, moderated, priced, its kind handler and backend picked;
- `kinds/`: one handler per kind of job (t2i, i2i, ...): fields, price, capability, media,
  screening;
- `media`: what backends return (images now, room for video frames) and input references;
- `engine`: runs a plan (reserve, generate, caption, screen, stamp, store, settle).

See docs/architecture.md for the picture and for how to add a new kind of job.
"""
