"""The generation engine, below `jobs/` and `api/` (nothing here imports HTTP code).

- `states`: the statuses and the only moves between them;
- `lifecycle`: the one place a status changes, with the same terminal steps every time;
- `plan`: a request parsed once, moderated, priced, its kind handler and backend picked;
- `kinds/`: one handler per kind of job (t2i, i2i, ...): fields, price, capability, media,
  screening;
- `backends`: this process's backends (each behind a runner), picked per request;
- `inputs`: picture references resolved into images (inline data URLs for now);
- `engine`: runs a plan (reserve, generate, caption, screen, stamp, store, settle);
- `views`: the generation body every answer and webhook carries.

See docs/architecture.md for the picture and for how to add a new kind of job.
"""
