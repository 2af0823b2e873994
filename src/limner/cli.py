"""The `limner` command: thin Typer commands over the library."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box as rich_box
from rich.console import Console
from rich.table import Table

from limner import __version__, firstrun, keys, ledger
from limner.cli_checks import hub_unreachable, missing_database
from limner.cli_errors import LimnerTyper
from limner.clock import isoformat_z
from limner.config import BackendName, Settings, WorkerTier
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.errors import LimnerError
from limner.privacy import confine_scratch_files

if TYPE_CHECKING:
    from limner.backends.auto import BackendChoice
    from limner.client import Client

app = LimnerTyper(help="Limner: a self-hosted image-generation API server.", no_args_is_help=True)
keys_app = LimnerTyper(help="Create, list and revoke API keys.", no_args_is_help=True)
credits_app = LimnerTyper(help="Grant and inspect credits.", no_args_is_help=True)
db_app = LimnerTyper(help="Database schema.", no_args_is_help=True)
moderation_app = LimnerTyper(help="Moderation review.", no_args_is_help=True)
models_app = LimnerTyper(help="The diffusers model registry.", no_args_is_help=True)
webhooks_app = LimnerTyper(help="Webhook signing secrets.", no_args_is_help=True)
retention_app = LimnerTyper(help="Erase old generations.", no_args_is_help=True)
storage_app = LimnerTyper(help="Stored images and uploads.", no_args_is_help=True)
characters_app = LimnerTyper(
    help="Your characters on a Limner server: the same person across generations.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
app.add_typer(credits_app, name="credits")
app.add_typer(db_app, name="db")
app.add_typer(moderation_app, name="moderation")
app.add_typer(models_app, name="models")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(retention_app, name="retention")
app.add_typer(storage_app, name="storage")
app.add_typer(characters_app, name="characters")

console = Console()
err_console = Console(stderr=True)


def _database(*, create: bool = False) -> tuple[Settings, Database]:
    """The data dir's database, migrated. Only the commands that make a first one (`create`:
    `keys create`, `db upgrade`, `serve`) start one where none is; the others refuse with the
    directory named, rather than answer from an empty database made in the wrong folder."""
    settings = Settings()
    missing = None if create else missing_database(settings)
    if missing is not None:
        err_console.print(f"[red]error:[/red] {missing}", soft_wrap=True)
        raise typer.Exit(1)
    confine_scratch_files(settings.data_dir)
    database = Database(settings.resolved_database_url())
    upgrade(database)
    return settings, database


def _fail(error: LimnerError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {error.message}")
    return typer.Exit(1)


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    backend: Annotated[BackendName | None, typer.Option(help="Generation backend.")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    processes: Annotated[
        int, typer.Option(min=1, help="API processes (uvicorn workers) sharing the port.")
    ] = 1,
    workers: Annotated[
        WorkerTier | None, typer.Option(help="Where generations run: local or ray (Ray Serve).")
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster to join (ray://host:10001); default: local.")
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Once listening, print this file's key with the export lines to copy."),
    ] = None,
) -> None:
    """Start the HTTP API server."""
    from limner.api import create_app
    from limner.api.server import uvicorn_options
    from limner.cli_serve import serve_with_banner

    if backend is not None:
        os.environ["LIMNER_BACKEND"] = backend.value
    if workers is not None:
        os.environ["LIMNER_WORKERS"] = workers.value
    if ray_address is not None:
        os.environ["LIMNER_RAY_ADDRESS"] = ray_address
    if "LIMNER_PUBLIC_URL" not in os.environ:
        # image URLs must point at this server; behind a proxy, set LIMNER_PUBLIC_URL instead
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        os.environ["LIMNER_PUBLIC_URL"] = f"http://{shown_host}:{port}"
    settings = Settings()
    confine_scratch_files(settings.data_dir)
    try:
        choice = _choose_backend(settings)  # auto: fetches the models on a first start
    except LimnerError as error:
        raise _fail(error) from error
    if processes > 1:
        # each process decides `auto` again, on the local cache this one has just filled
        _serve_processes(settings, host, port, log_level, processes)
        return
    try:
        application = create_app(settings, choice=choice)
        # a preset without its model is disabled here (one warning line); none at all stops it
        application.state.limner.service.backends.check_ready()
    except LimnerError as error:
        raise _fail(error) from error
    context = application.state.limner
    _print_runtime(context.backend)
    chosen = f"{context.backend.name} (auto)" if choice is not None else context.backend.name
    console.print(
        f"Limner {__version__} on http://{host}:{port} "
        f"(backend: {chosen}, data: {settings.data_dir})"
    )
    url = firstrun.local_url(host, port)
    firstrun.record_server_url(settings.data_dir, url)  # `limner generate` finds it there
    banner = firstrun.ready_banner(
        url,
        firstrun.read_key_file(key_file) if key_file else None,
        notice=context.backend_notice,
    )
    serve_with_banner(
        application,
        banner=banner,
        host=host,
        port=port,
        log_level=log_level,
        **uvicorn_options(settings),  # the header limits, protocol and proxy trust of `serve`
    )


def _choose_backend(settings: Settings) -> BackendChoice | None:
    """`LIMNER_BACKEND=auto`: diffusers where its models are here or can be fetched now (with a
    size estimate and progress bars), else the placeholder with its banner line."""
    if settings.backend is not BackendName.auto or settings.workers is WorkerTier.ray:
        return None
    from limner.backends.auto import choose_backend

    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False, soft_wrap=True)

    choice = choose_backend(settings, fetch=True, say=say)
    if choice.notice is not None:
        console.print(choice.notice, style="bold white on red", highlight=False, soft_wrap=True)
    else:
        say(f"LIMNER_BACKEND=auto: diffusers, {choice.reason}")
    return choice


def _print_runtime(backend: object) -> None:
    """Where the models run and why (device, precision), then one line per serving preset, so
    an operator sees what serves (also in /readyz). A disabled one has had its warning line."""
    summary = getattr(backend, "device_summary", None)
    if summary is not None:
        console.print(summary(), markup=False, highlight=False, soft_wrap=True)
    describe = getattr(backend, "describe", None)
    for row in describe() if describe is not None else []:
        if row.get("disabled"):
            continue
        threads = f", {row['threads']} threads" if row["threads"] else ""
        how = "" if row["execution"] == "eager" else f", {row['execution']}"
        console.print(
            f"  {row['preset']}: {row['model']} on {row['device']} ({row['dtype']}{threads}"
            f"{how}), decoder {row['decoder']}"
        )


def _serve_processes(
    settings: Settings, host: str, port: int, log_level: str, processes: int
) -> None:
    """uvicorn workers, each building the app from the environment (settings are env-only)."""
    import uvicorn

    from limner.api.server import uvicorn_options

    if settings.resolved_database_url().startswith("sqlite") or not settings.redis_url:
        err_console.print(
            "[yellow]note:[/yellow] with several processes, PostgreSQL and Redis "
            "(LIMNER_DATABASE_URL, LIMNER_REDIS_URL) keep limits exact; see docs/scaling.md"
        )
    _database(create=True)  # migrate once here, before the workers race to it
    firstrun.record_server_url(settings.data_dir, firstrun.local_url(host, port))
    from limner.wiring import build_stamper

    build_stamper(settings)  # likewise the provenance key, made on first start
    console.print(
        f"Limner {__version__} on http://{host}:{port} with {processes} processes "
        f"(backend: {settings.backend.value}, workers: {settings.workers.value})"
    )
    uvicorn.run(
        "limner.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        workers=processes,
        **uvicorn_options(settings),
    )


@app.command()
def worker(
    backend: Annotated[BackendName | None, typer.Option(help="Generation backend.")] = None,
) -> None:
    """Work the job queue (async jobs, batches, webhooks) without serving HTTP.

    Run one per GPU machine against the shared database; API processes can then set
    LIMNER_QUEUE_WORKERS=0 and only accept requests.
    """
    import signal
    import threading

    from limner.wiring import build_context

    if backend is not None:
        os.environ["LIMNER_BACKEND"] = backend.value
    settings = Settings()
    confine_scratch_files(settings.data_dir)
    if settings.queue_workers < 1:
        err_console.print("[red]error:[/red] LIMNER_QUEUE_WORKERS must be at least 1 for a worker")
        raise typer.Exit(1)
    try:
        context = build_context(settings)
        context.service.backends.check_ready()
    except LimnerError as error:
        raise _fail(error) from error
    _print_runtime(context.backend)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    from limner.logs import configure_logging

    configure_logging(settings.log_format)
    context.service.screening.report_at_start()
    context.recovery.start()
    context.jobs.start()
    console.print(
        f"Limner worker {context.recovery.me.id}: {settings.queue_workers} thread(s), "
        f"backend {context.backend.name}"
    )
    stop.wait()
    context.jobs.stop(timeout=settings.shutdown_grace_s)  # running jobs may finish
    context.recovery.release_mine()  # jobs still running go back to the queue
    context.service.runner.cancel_all()
    context.recovery.stop()
    context.service.backends.shutdown()
    context.service.backends.close()
    context.database.dispose()


@keys_app.command("create")
def keys_create(
    plan: Annotated[str, typer.Option(help="free or pro.")] = "free",
    credits: Annotated[int, typer.Option(help="Credits to grant now (they do not expire).")] = 0,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    sfw_only: Annotated[
        bool, typer.Option("--sfw-only", help="Screen every output of this key for nudity.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the key to this file (mode 0600) instead of printing it."),
    ] = None,
    test: Annotated[
        bool,
        typer.Option(
            "--test",
            help="A test key: placeholder images only, never charged, its own rate limit "
            '(LIMNER_RATE_LIMIT_TEST); every answer says "livemode": false.',
        ),
    ] = False,
) -> None:
    """Create an API key. The key is printed once, as the last line (or written to --out)."""
    settings, database = _database(create=True)
    try:
        with database.transaction() as session:
            issued = keys.create_key(
                session=session, plan=plan, name=name, sfw_only=sfw_only, test=test
            )
            if credits:
                ledger.grant(
                    session=session,
                    account_id=issued.account_id,
                    amount=credits,
                    note="granted at key creation",
                )
    except LimnerError as error:
        raise _fail(error) from error
    if test:
        console.print(
            f"Created {plan} test key {issued.prefix} (placeholder images, never charged)"
            + (", SFW-only." if sfw_only else ".")
        )
    else:
        console.print(
            f"Created {plan} key {issued.prefix} "
            f"(daily allowance {settings.daily_allowance(plan)}, granted {credits})"
            + (", SFW-only." if sfw_only else ".")
        )
    if out is not None:
        firstrun.write_secret_file(out, issued.key)
        console.print(f"The key is in {out} (readable by you only).")
        return
    console.print("Store it now; it cannot be shown again:", style="bold")
    print(issued.key)


@keys_app.command("sfw")
def keys_sfw(
    key: Annotated[str, typer.Argument(help="Key prefix (lmn_...) or id.")],
    on: Annotated[bool, typer.Option("--on/--off", help="Screen every output for nudity.")],
) -> None:
    """Mark a key SFW-only (every output it gets is screened for nudity), or clear the mark."""
    _, database = _database()
    try:
        with database.transaction() as session:
            account = keys.set_sfw_only(session=session, prefix_or_id=key, sfw_only=on)
            prefix = account.key_prefix
    except LimnerError as error:
        raise _fail(error) from error
    console.print(f"{prefix}: SFW-only {'on' if on else 'off'}.")


@keys_app.command("list")
def keys_list() -> None:
    """List keys by prefix, with their plans, modes (live or test) and balances."""
    settings, database = _database()
    # fits 80 columns: the prefix never cut (it is what `credits grant` takes), a long name
    # wraps, dates without times, and the rare flags in one column
    table = Table(box=rich_box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    table.add_column("prefix", no_wrap=True, min_width=len("lmn_00000000"))
    table.add_column("name", min_width=8, max_width=24)
    for header in ("plan", "mode"):
        table.add_column(header, no_wrap=True)
    for header in ("available", "granted"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("created", no_wrap=True)
    table.add_column("notes", min_width=7)
    with database.transaction() as session:
        for account in keys.list_accounts(session=session):
            balance = ledger.balance(
                account=account, allowance=settings.daily_allowance(account.plan)
            )
            notes = ["sfw only"] if account.sfw_only else []
            if account.revoked_at:
                notes.append(f"revoked {isoformat_z(account.revoked_at)[:10]}")
            table.add_row(
                account.key_prefix,
                account.name,
                account.plan,
                "live" if account.livemode else "test",
                str(balance.available),
                str(balance.granted),
                isoformat_z(account.created_at)[:10],
                ", ".join(notes),
            )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="Key prefix (lmn_...) or id.")]) -> None:
    """Revoke a key; requests with it answer 401 invalid_api_key from now on."""
    _, database = _database()
    try:
        with database.transaction() as session:
            account = keys.revoke_key(session=session, prefix_or_id=key)
    except LimnerError as error:
        raise _fail(error) from error
    console.print(f"Revoked {account.key_prefix}.")


@credits_app.command("grant")
def credits_grant(
    key: Annotated[str, typer.Argument(help="A key, its prefix (lmn_...) or its id.")],
    amount: Annotated[int, typer.Argument(help="Credits to add.")],
    note: Annotated[str, typer.Option(help="Why, for the ledger.")] = "granted by operator",
) -> None:
    """Grant credits to a key (they do not expire)."""
    settings, database = _database()
    try:
        with database.transaction() as session:
            account = keys.find_account(session=session, prefix_or_id=key)
            ledger.grant(session=session, account_id=account.id, amount=amount, note=note)
            balance = ledger.balance(
                account=account, allowance=settings.daily_allowance(account.plan)
            )
    except LimnerError as error:
        raise _fail(error) from error
    console.print(f"{account.key_prefix}: +{amount}, {balance.available} available.")


@credits_app.command("history")
def credits_history(
    key: Annotated[str, typer.Argument(help="Key prefix (lmn_...) or id.")],
    limit: Annotated[int, typer.Option(help="How many entries.")] = 50,
) -> None:
    """Show a key's ledger entries (newest first) and check them against the balance."""
    _, database = _database()
    try:
        with database.transaction() as session:
            account = keys.find_account(session=session, prefix_or_id=key)
            rows = ledger.entries(session=session, account_id=account.id, limit=limit)
            result = ledger.audit(session=session, account_id=account.id)
    except LimnerError as error:
        raise _fail(error) from error
    table = Table("time", "kind", "daily", "granted", "generation", "note")
    for row in rows:
        table.add_row(
            isoformat_z(row.created_at),
            row.kind,
            f"{row.daily_delta:+d}",
            f"{row.granted_delta:+d}",
            row.generation_id or "",
            row.note,
        )
    console.print(table)
    state = "consistent" if result.consistent else "[red]INCONSISTENT[/red]"
    console.print(
        f"ledger {state}: daily {result.daily_balance} (entries "
        f"{result.daily_from_entries}), granted {result.granted_balance} (entries "
        f"{result.granted_from_entries}), open reservations {result.open_reservations}"
    )
    if not result.consistent:
        raise typer.Exit(2)


@moderation_app.command("log")
def moderation_log(
    limit: Annotated[int, typer.Option(help="How many refusals, newest first.")] = 50,
    key: Annotated[str | None, typer.Option(help="Only this key prefix.")] = None,
) -> None:
    """List refused requests for abuse review: time, key, field, rule (never the text)."""
    from limner.generation.refusals import recent_refusals

    _, database = _database()
    table = Table("time", "key", "style", "field", "rule", "id")
    with database.read() as session:
        for event in recent_refusals(session=session, limit=limit, key_prefix=key):
            table.add_row(
                isoformat_z(event.created_at),
                event.key_prefix or "",
                event.style,
                event.field,
                event.rule,
                event.id,
            )
    console.print(table)


@moderation_app.command("check")
def moderation_check(
    text: Annotated[str, typer.Argument(help="The text to check, as a user would send it.")],
    style: Annotated[str, typer.Option(help="realistic | anime | nude")] = "realistic",
    field: Annotated[
        str, typer.Option(help="The field it came in: prompt, appearance.body_type, ...")
    ] = "prompt",
) -> None:
    """For abuse review: the verdict, each field's canonical form (what the rules read besides the
    text), the languages identified and the rule that matched.

    This is operator-side, so it names the matched text; HTTP refusals never do. Exits 1 when
    the text is refused.
    """
    from limner.domain.styles import Style
    from limner.moderation import ModerationRequest, TextField
    from limner.wiring import build_moderator

    try:
        chosen = Style(style)
    except ValueError:
        err_console.print(f"unknown style {style!r}: one of {', '.join(s.value for s in Style)}")
        raise typer.Exit(2) from None
    fields = [TextField(field, text)]
    if field != "prompt":
        fields.insert(0, TextField("prompt", "a photo"))
    review = build_moderator(Settings()).review(
        ModerationRequest(style=chosen, fields=tuple(fields))
    )
    verdict = review.verdict
    languages = ", ".join(review.languages.get(field, ())) or "not identified (a trait value)"
    console.print(f"verdict: {'allowed' if verdict.allowed else 'refused'}", highlight=False)
    for path, form in review.canonical.items():
        console.print(f"canonical ({path}): {form}", highlight=False, markup=False)
    console.print(f"languages: {languages}", highlight=False)
    if not verdict.allowed:
        console.print(f"field: {verdict.field}", highlight=False)
        console.print(f"rule: {verdict.rule}", highlight=False)
        if review.language:
            console.print(f"language: {review.language}", highlight=False)
        if review.match:
            console.print(f"matched: {review.match}", highlight=False, markup=False)
        raise typer.Exit(1)


@app.command()
def verify(
    image: Annotated[
        Path,
        typer.Argument(help="The image or MP4 file to check.", exists=True, dir_okay=False),
    ],
) -> None:
    """Say whether IMAGE (PNG, JPEG or MP4) came from this server and which generation made it
    (exit 1 if not)."""
    from limner.media import MediaLimits
    from limner.verification import verify_image
    from limner.wiring import build_stamper

    settings, database = _database()
    try:
        result = verify_image(
            image.read_bytes(),
            limits=MediaLimits.from_settings(settings),
            database=database,
            watermark_key=settings.watermark_key.encode(),
            trust_anchors_pem=build_stamper(settings).trust_anchors_pem,
        )
    except LimnerError as error:
        raise _fail(error) from error
    table = Table("check", "result", show_header=False)
    for name, value in result.as_dict().items():
        table.add_row(name, str(value))
    console.print(table)
    if result.from_this_server:
        console.print(f"[green]Made by this server: generation {result.image.named_id}[/green]")
        if result.image.made_from_input:
            recorded = ", ".join(result.image.ingredients) or "no manifest"
            console.print(f"Made from an input picture (C2PA ingredients: {recorded})")
    elif result.image.from_limner:
        console.print("[yellow]A Limner watermark, but not a generation of this server.[/yellow]")
    else:
        console.print("[red]No Limner watermark found.[/red]")
    if not result.from_this_server:
        raise typer.Exit(1)


def _diffusers_backend(settings: Settings, *, download: bool = False) -> Any:
    try:
        from limner.backends.diffusers import DiffusersBackend
    except ImportError as error:
        err_console.print("[red]error:[/red] install the 'diffusers' extra (scripts/install)")
        raise typer.Exit(1) from error
    if download:
        settings = settings.model_copy(update={"diffusers_download": True})
    return DiffusersBackend.from_settings(settings)


@models_app.command("list")
def models_list() -> None:
    """Show the registry (LIMNER_MODELS_FILE or the packaged default) and what is available."""
    settings = Settings()
    backend = _diffusers_backend(settings)
    table = Table("style", "quality", "pipeline", "steps", "guidance", "size", "lora", "status")
    for style, quality, preset in backend.registry.items():
        status = "disabled"
        if preset.enabled:
            try:
                backend.check_source(preset, f"{style.value}.{quality.value}")
                status = "[green]available[/green]"
            except LimnerError as error:
                # `serve` disables this preset (one warning line) and serves the others
                reason = error.message.split(": ", 2)[-1][:80]
                status = f"[red]missing[/red] (serve disables it): {reason}"
        table.add_row(
            style.value,
            quality.value,
            preset.pipeline,
            str(preset.steps),
            str(preset.guidance),
            f"{preset.width}x{preset.height}",
            preset.lora.path if preset.lora else "",
            status,
        )
    console.print(f"registry: {backend.registry.source}")
    console.print(table)


@models_app.command("pull")
def models_pull() -> None:
    """Download every enabled Hub model of the registry into the local cache (needs the Hub)."""
    from limner.backends.diffusers.registry import is_local_source

    settings = Settings()
    # one clear line, before the diffusers import and a failed download per preset speak
    unreachable = hub_unreachable()
    if unreachable is not None:
        err_console.print(
            f"[red]error:[/red] nothing downloaded: {unreachable}. `limner models pull` needs "
            "the Hugging Face Hub; on a machine without it, copy a filled cache (HF_HOME) over "
            "or point LIMNER_MODELS_FILE at local folders (docs/models.md).",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    backend = _diffusers_backend(settings, download=True)
    failed = 0
    for style, quality, preset in backend.registry.enabled_items():
        if preset.is_local and (preset.tiny_vae is None or is_local_source(preset.tiny_vae)):
            continue
        with console.status(f"Downloading {preset.pipeline}..."):
            try:
                backend.check_source(preset, f"{style.value}.{quality.value}")
            except LimnerError as error:
                failed += 1
                err_console.print(f"[red]failed[/red] {error.message}")
                continue
        console.print(f"[green]ok[/green] {preset.pipeline}")
    if failed:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done automatically at start)."""
    settings, _ = _database(create=True)
    console.print(f"Database at {settings.resolved_database_url()} is up to date.")


#: the client commands' server: LIMNER_URL, else the one this data dir last served on
ServerUrl = Annotated[
    str | None,
    typer.Option(
        envvar="LIMNER_URL",
        help="Server URL; default: the one this data dir last served on, else "
        "http://127.0.0.1:8000.",
    ),
]
ApiKey = Annotated[str, typer.Option(envvar="LIMNER_API_KEY", help="API key.")]


def _server_url(url: str | None) -> str:
    return url or firstrun.recorded_server_url(Settings().data_dir) or firstrun.DEFAULT_URL


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="What to generate.")],
    style: Annotated[str, typer.Option(help="realistic, anime or nude.")] = "realistic",
    quality: Annotated[str, typer.Option(help="fast or hires.")] = "fast",
    seed: Annotated[int | None, typer.Option(help="Seed for a reproducible result.")] = None,
    n: Annotated[int, typer.Option("--n", help="Images to make (seed, seed+1, ...).")] = 1,
    width: Annotated[
        int | None,
        typer.Option(help="Width in px, a multiple of 8 (videos: of 32; default: the preset's)."),
    ] = None,
    height: Annotated[
        int | None,
        typer.Option(help="Height in px, a multiple of 8 (videos: of 32; default: the preset's)."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="png (default), jpeg or webp (images only).")
    ] = "png",
    out: Annotated[
        Path | None, typer.Option(help="Where to save the (first) image, or the video.")
    ] = None,
    character: Annotated[
        str | None, typer.Option(help="One of your characters (chr_...); its style is used.")
    ] = None,
    type_: Annotated[
        str,
        typer.Option(
            "--type",
            help="t2i, i2i, inpaint, outpaint; t2v (a video) or i2v (animate --image).",
        ),
    ] = "t2i",
    duration: Annotated[
        int | None, typer.Option("--duration", help="Videos: seconds, 1 to 10 (default 4).")
    ] = None,
    fps: Annotated[
        int | None, typer.Option(help="Videos: frames per second (default: the model's).")
    ] = None,
    image: Annotated[
        str | None,
        typer.Option(help="Input picture: a file (uploaded first), upl_..., gen_... or https://."),
    ] = None,
    mask: Annotated[
        str | None, typer.Option(help="inpaint: where to repaint (white, or transparent).")
    ] = None,
    strength: Annotated[float | None, typer.Option(help="i2i: 0.05 to 1 (default 0.6).")] = None,
    expand: Annotated[
        str | None, typer.Option(help="outpaint: pixels to add, LEFT,RIGHT,TOP,BOTTOM.")
    ] = None,
    url: ServerUrl = None,
    api_key: ApiKey = "",
) -> None:
    """Generate on a Limner server (LIMNER_URL, LIMNER_API_KEY), following its progress, and
    save the images (or, with --type t2v/i2v, the MP4). With --type i2i/inpaint/outpaint/i2v,
    --image (and --mask, --strength, --expand) give the input: local files are uploaded first."""
    import httpx
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from limner.client import Client, LimnerAPIError

    if not api_key:
        err_console.print("[red]error:[/red] set LIMNER_API_KEY or pass --api-key")
        raise typer.Exit(1)
    url = _server_url(url)
    video = type_ in ("t2v", "i2v")
    options: dict[str, Any] = {"style": style, "quality": quality}
    if not video:  # a video is one output: `n` is refused
        options["n"] = n
    if output_format != "png":  # the server's default; the server validates the value
        options["output_format"] = output_format
    if seed is not None:
        options["seed"] = seed
    if character is not None:  # the character's style, unless --style says otherwise
        options["character_id"] = character
        if style == "realistic":
            options.pop("style")
    for name, side in (("width", width), ("height", height)):
        if side is not None:
            options[name] = side
    if type_ != "t2i":  # a v1 body stays a v1 body
        options["type"] = type_
    extra = {
        "image": image,
        "mask": mask,
        "strength": strength,
        "duration_s": duration,
        "fps": fps,
    }
    options.update({name: value for name, value in extra.items() if value is not None})
    if expand is not None:
        options["expand"] = _expand_option(expand)
    started = time.monotonic()
    try:
        with Client(url, api_key) as client:
            job = client.submit(prompt, **options)
            columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
            with Progress(*columns, console=err_console, transient=True) as progress:
                # a video: denoising is the first half of the bar, encoding the second
                task = progress.add_task("queued", total=(1 if video else n) * 100)
                for event in client.stream_events(job.id):
                    data = event.data
                    if event.event == "queued":
                        progress.update(task, description=f"queued #{data.get('queue_position')}")
                    elif event.event == "progress" and data.get("total"):
                        share = 100 * data["step"] // data["total"]
                        if video:
                            encoding = data.get("stage") == "encoding"
                            done = 50 + share // 2 if encoding else share // 2
                            what = (
                                f"encoding {data['step']}/{data['total']} s"
                                if encoding
                                else f"step {data['step']}/{data['total']}"
                            )
                        else:
                            done = (data["image"] - 1) * 100 + share
                            what = f"image {data['image']}/{data['images']}"
                        progress.update(task, completed=done, description=what)
            result = client.wait(job.id)
            video_url = getattr(result, "video_url", None)
            urls: list[str | None] = [image.url for image in result.images or []]
            urls = [video_url] if video_url else urls or [result.image_url]
            downloads = [client.download(image_url) for image_url in urls if image_url]
    except LimnerAPIError as error:
        err_console.print(
            f"[red]{error.code}[/red] ({error.status_code}): {error.body.get('message', '')}"
        )
        raise typer.Exit(1) from error
    except httpx.HTTPError as error:
        err_console.print(f"[red]error:[/red] cannot reach {url}: {error}")
        raise typer.Exit(1) from error
    suffix = ".mp4" if video else {"jpeg": ".jpg", "webp": ".webp"}.get(output_format, ".png")
    first = out or Path(f"{result.id}{suffix}")
    for index, image_bytes in enumerate(downloads):
        target = first if index == 0 else first.with_name(f"{first.stem}-{index + 1}{first.suffix}")
        target.write_bytes(image_bytes)
        console.print(f"{result.id}: {target} ({len(image_bytes)} bytes)")
    console.print(
        f"{result.credits_used} credit(s), seed {result.seed}, {time.monotonic() - started:.1f}s"
    )
    if result.backend == "placeholder":
        err_console.print(
            "[yellow]note:[/yellow] a placeholder image (a generated test card, not a model's "
            "output): a test key, or a server with no model (its /readyz says why)"
        )


def _expand_option(text: str) -> dict[str, int]:
    """ "LEFT,RIGHT,TOP,BOTTOM" as the request's `expand` object (the server checks the range)."""
    parts = text.split(",")
    if len(parts) != 4 or not all(part.strip().isdigit() for part in parts):
        err_console.print("[red]error:[/red] --expand takes LEFT,RIGHT,TOP,BOTTOM in pixels")
        raise typer.Exit(2)
    left, right, top, bottom = (int(part) for part in parts)
    return {"left": left, "right": right, "top": top, "bottom": bottom}


@contextmanager
def _server_client(url: str | None, api_key: str) -> Iterator[Client]:
    """The SDK client of a client command; an API or connection error ends it in one line."""
    import httpx

    from limner.client import Client, LimnerAPIError

    if not api_key:
        err_console.print("[red]error:[/red] set LIMNER_API_KEY or pass --api-key")
        raise typer.Exit(1)
    url = _server_url(url)
    try:
        with Client(url, api_key) as client:
            yield client
    except LimnerAPIError as error:
        err_console.print(
            f"[red]{error.code}[/red] ({error.status_code}): {error.body.get('message', '')}"
        )
        raise typer.Exit(1) from error
    except httpx.HTTPError as error:
        err_console.print(f"[red]error:[/red] cannot reach {url}: {error}")
        raise typer.Exit(1) from error


@app.command()
def delete(
    generation_id: Annotated[str, typer.Argument(help="The generation to erase (gen_...).")],
    url: ServerUrl = None,
    api_key: ApiKey = "",
) -> None:
    """Erase one of your finished generations on a Limner server: its images and prompt."""
    with _server_client(url, api_key) as client:
        client.delete(generation_id)
    console.print(f"{generation_id}: deleted")


@app.command()
def upload(
    file: Annotated[Path, typer.Argument(help="A PNG, JPEG or WebP picture.", exists=True)],
    url: ServerUrl = None,
    api_key: ApiKey = "",
) -> None:
    """Upload a picture to a Limner server for image-input requests; prints its upl_ id."""
    with _server_client(url, api_key) as client:
        made = client.upload(file)
    err_console.print(
        f"{made.width}x{made.height}, sha256 {made.sha256}, expires {made.expires_at}"
    )
    print(made.id)


@characters_app.command("create")
def characters_create(
    name: Annotated[str, typer.Argument(help="What you call the character.")],
    references: Annotated[
        list[str],
        typer.Argument(help="1-4 references: upl_..., gen_..., an https:// URL or a picture file."),
    ],
    style: Annotated[str, typer.Option(help="realistic, anime or nude (its one style).")] = (
        "realistic"
    ),
    description: Annotated[
        str | None, typer.Option(help="Words added to every prompt that uses it.")
    ] = None,
    url: ServerUrl = None,
    api_key: ApiKey = "",
) -> None:
    """Create a character; prints its chr_ id. A picture file is uploaded first."""
    with _server_client(url, api_key) as client:
        refs = [client.upload(Path(ref)).id if Path(ref).is_file() else ref for ref in references]
        made = client.characters.create(name, refs, style=style, description=description)
    err_console.print(f"{made.name}: {made.style}, {len(made.references)} reference(s)")
    print(made.id)


@characters_app.command("list")
def characters_list(
    limit: Annotated[int, typer.Option(help="How many, newest first (1-100).")] = 20,
    url: ServerUrl = None,
    api_key: ApiKey = "",
) -> None:
    """Your characters, newest first."""
    with _server_client(url, api_key) as client:
        page = client.characters.list(limit=limit)
    table = Table("id", "name", "style", "references", "created")
    for each in page.data:
        table.add_row(each.id, each.name, each.style, str(len(each.references)), each.created_at)
    console.print(table)


@characters_app.command("get")
def characters_get(
    character_id: Annotated[str, typer.Argument(help="The character (chr_...).")],
    url: ServerUrl = None,
    api_key: ApiKey = "",
) -> None:
    """One character, as JSON."""
    with _server_client(url, api_key) as client:
        found = client.characters.get(character_id)
    print(found.model_dump_json(indent=2, exclude_none=True))


@characters_app.command("delete")
def characters_delete(
    character_id: Annotated[str, typer.Argument(help="The character (chr_...).")],
    url: ServerUrl = None,
    api_key: ApiKey = "",
) -> None:
    """Delete a character: its stored references and embeddings, not your generations."""
    with _server_client(url, api_key) as client:
        client.characters.delete(character_id)
    console.print(f"{character_id}: deleted")


@retention_app.command("sweep")
def retention_sweep(
    days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Erase finished generations older than this (default: the "
            "LIMNER_RETENTION_DAYS setting).",
        ),
    ] = None,
) -> None:
    """Erase old generations now (the server does it hourly when LIMNER_RETENTION_DAYS is set)."""
    from limner.retention import sweep_older_than
    from limner.storage.factory import create_image_store

    settings, database = _database()
    days = days or settings.retention_days
    if days is None:
        err_console.print("[red]error:[/red] pass --days or set LIMNER_RETENTION_DAYS")
        raise typer.Exit(1)
    erased = sweep_older_than(database=database, store=create_image_store(settings), days=days)
    console.print(f"erased {erased} generation(s) older than {days} day(s)")


@webhooks_app.command("secret")
def webhooks_secret(
    key: Annotated[str, typer.Argument(help="Key prefix (lmn_...) or id.")],
    rotate: Annotated[
        bool, typer.Option(help="Make a new secret; the old one signs for the grace period.")
    ] = False,
) -> None:
    """Show (creating it if needed) or rotate a key's webhook signing secret."""
    from limner.webhooks import store
    from limner.wiring import open_secret_box

    settings, database = _database()
    box = open_secret_box(settings, database)
    try:
        with database.transaction() as session:
            account = keys.find_account(session=session, prefix_or_id=key)
            if rotate:
                info = store.rotate_secret(
                    session=session,
                    account_id=account.id,
                    grace_s=settings.webhook_secret_grace_s,
                    box=box,
                )
            else:
                info = store.ensure_secret(session=session, account_id=account.id, box=box)
            secret, expires = info.secret, info.previous_expires_at
    except LimnerError as error:
        raise _fail(error) from error
    if expires is not None:
        console.print(f"The previous secret keeps signing until {isoformat_z(expires)}.")
    print(secret)


@storage_app.command("sweep")
def storage_sweep(
    grace_s: Annotated[
        float | None,
        typer.Option(help="Keep row-less objects younger than this; default the setting."),
    ] = None,
) -> None:
    """Remove stored objects no row owns (left by a crash) and expired uploads, once."""
    from datetime import timedelta

    from limner.media.sweep import sweep_storage
    from limner.storage import create_image_store

    settings, database = _database()
    grace = settings.resolved_sweep_grace_s if grace_s is None else grace_s
    try:
        report = sweep_storage(
            database=database,
            store=create_image_store(settings),
            grace=timedelta(seconds=grace),
        )
    except LimnerError as error:
        raise _fail(error) from error
    finally:
        database.dispose()
    console.print(
        f"Removed {report.orphans_removed} object(s) no row owns and "
        f"{report.expired_uploads_removed} expired upload(s); kept {report.kept}."
        + (
            f" Removed {report.partial_writes_removed} interrupted write(s)."
            if report.partial_writes_removed
            else ""
        )
    )


if __name__ == "__main__":
    app()
