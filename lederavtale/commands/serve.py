"""``lederavtale serve``: run the bot's web service (and, unless turned off, its scheduler)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from dataclasses import replace

from aiohttp import web

from bot.settings import Settings
from lederavtale.app import create_app
from lederavtale.commands import texts
from lederavtale.gc_tuning import tune_for_service

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help=texts.SERVE_HELP)
    serve.add_argument("--host", metavar=texts.HOST_METAVAR, help=texts.SERVE_HOST_HELP)
    serve.add_argument("--port", type=port_number, metavar=texts.PORT_METAVAR, help=texts.SERVE_PORT_HELP)
    serve.add_argument("--no-scheduler", action="store_true", help=texts.SERVE_NO_SCHEDULER_HELP)
    serve.set_defaults(handler=_serve, service=True)


def port_number(value: str) -> int:
    """A ``--port`` value, refused in bokmål when it is not a whole number (the range is checked later)."""
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(texts.NOT_A_PORT.format(value=value)) from None


def listen_address(settings: Settings, host: str | None, port: int | None) -> tuple[str, int]:
    """Where to listen: local mode (no app id) never leaves the loopback interface."""
    chosen_host = host or settings.host
    chosen_port = settings.port if port is None else port
    if not 0 < chosen_port < 65536:
        raise ValueError(f"port {chosen_port} is out of range")
    if settings.local_mode:
        if chosen_host != LOOPBACK:
            logger.warning(
                "Local mode (no MicrosoftAppId): binding to %s instead of %s", LOOPBACK, chosen_host
            )
        chosen_host = LOOPBACK
    return chosen_host, chosen_port


async def run_service(
    settings: Settings, host: str, port: int, stop: asyncio.Event, *, tune_gc: bool = False
) -> None:
    """Serve until ``stop`` is set, then shut down cleanly (scheduler, connections, database).

    ``tune_gc``: the process is the service (not a test run): tune the garbage collector once
    everything is started (:mod:`lederavtale.gc_tuning`).
    """
    runner = web.AppRunner(create_app(settings), handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        if tune_gc:
            tune_for_service()
        if settings.local_mode:
            logger.warning(
                "Local mode: no MicrosoftAppId is set, requests are NOT authenticated. "
                "Listening on http://%s:%s/api/messages only",
                host,
                port,
            )
        else:
            logger.info("Listening on http://%s:%s/api/messages", host, port)
        await stop.wait()
    finally:
        await runner.cleanup()


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    try:
        host, port = listen_address(settings, args.host, args.port)
    except ValueError as exc:
        logger.error("%s", exc)
        return 2
    # Where the service listens is where its single-use links point (unless LEDERAVTALE_PUBLIC_URL says otherwise).
    settings = replace(settings, host=host, port=port)
    if args.no_scheduler:
        settings = replace(settings, scheduler_enabled=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or not POSIX
            pass
    try:
        await run_service(settings, host, port, stop, tune_gc=True)
    except OSError as exc:
        logger.error("Could not listen on %s:%s: %s", host, port, exc.strerror or exc)
        return 1
    logger.info("Bot service stopped")
    return 0
