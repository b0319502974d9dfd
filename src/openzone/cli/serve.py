"""`openzone serve` and `openzone worker`."""

import signal
import threading
from pathlib import Path

import typer

from openzone.cli.main import app, settings_for


@app.command()
def serve(host: str = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
          port: int = typer.Option(None, help="Port (default 8000)."),
          data_dir: Path = typer.Option(None, "--data-dir", help="Where embedded data lives (default ./.openzone)."),
          demo: bool = typer.Option(False, "--demo", help="Load the demo first when the data directory is empty.")) -> None:
    """Run the API server (and, unless OPENZONE_RUN_WORKERS=false, the workers)."""
    from openzone.app import serve as run_server

    settings = settings_for(data_dir)
    settings = settings.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v is not None})
    if demo:
        from openzone.cli.demo import load_demo_if_empty
        load_demo_if_empty(settings)
    run_server(settings)


@app.command()
def worker(data_dir: Path = typer.Option(None, "--data-dir")) -> None:
    """Run only the background workers (for scale-out next to API replicas)."""
    from openzone.app import register_operations
    from openzone.events.dispatcher import Dispatcher
    from openzone.jobs.runner import Worker
    from openzone.sources.scheduler import Scheduler

    settings = settings_for(data_dir)
    register_operations()
    runner = Worker(settings)
    scheduler = Scheduler(settings)  # several schedulers are safe: each due run is claimed by one UPDATE
    dispatcher = Dispatcher(settings)  # several dispatchers are safe: event lanes are leased
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runner.start()
    scheduler.start()
    dispatcher.start()
    typer.echo(f"worker {runner.worker_id} running; Ctrl-C to stop")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    scheduler.stop()
    runner.stop()
    dispatcher.stop()
    runner.join(timeout=10)
    dispatcher.join(timeout=10)
