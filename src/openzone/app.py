"""create_app(settings): the ASGI application serving DataZone's API, Athena's API, the portal and /health."""

import gc
import logging
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from starlette.routing import Route

import openzone.models  # noqa: F401  (every table)
from openzone.config import Settings
from openzone.events import outbox
from openzone.events.dispatcher import Dispatcher
from openzone.identity.service import lookup_credential
from openzone.jobs.runner import Worker
from openzone.portal.routes import portal_routes
from openzone.query import service as query_service
from openzone.sources.scheduler import Scheduler
from openzone.wire import rest
from openzone.wire.asgi import datazone_endpoint, json_endpoint
from openzone.wire.dispatch import Gateway
from openzone.wire.model import operation
from openzone.wire.registry import HANDLERS

log = logging.getLogger("openzone")


def register_operations() -> None:
    """Import every package's routes (and tasks) so their operations are registered."""
    import openzone.catalog.product_routes  # noqa: F401
    import openzone.catalog.routes  # noqa: F401
    import openzone.catalog.type_routes  # noqa: F401
    import openzone.catalog.type_search_routes  # noqa: F401
    import openzone.domains.routes  # noqa: F401
    import openzone.domains.unit_routes  # noqa: F401
    import openzone.enrichment.routes  # noqa: F401
    import openzone.events.deadletters  # noqa: F401  (the hourly pruning job)
    import openzone.events.routes  # noqa: F401
    import openzone.governance.routes  # noqa: F401
    import openzone.fulfillment.tasks  # noqa: F401
    import openzone.fulfillment.reconcile.service  # noqa: F401  (the periodic reconciler job)
    import openzone.glossary.routes  # noqa: F401
    import openzone.projects.routes  # noqa: F401
    import openzone.query.routes  # noqa: F401
    import openzone.search.routes  # noqa: F401
    import openzone.sources.routes  # noqa: F401
    import openzone.sources.tasks  # noqa: F401
    import openzone.subscriptions.filter_routes  # noqa: F401
    import openzone.subscriptions.routes  # noqa: F401
    import openzone.subscriptions.tasks  # noqa: F401


def create_app(settings: Settings | None = None) -> FastAPI:
    """The openzone server; starts in-process workers unless settings.run_workers is off."""
    settings = settings or Settings()
    settings.ensure_dirs()
    outbox.configure(settings.account_id, settings.region)
    register_operations()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = Worker(settings) if settings.run_workers else None
        scheduler = Scheduler(settings) if settings.run_workers else None
        dispatcher = Dispatcher(settings) if settings.run_workers else None
        for thread in (worker, scheduler, dispatcher):
            if thread:
                thread.start()
        yield
        query_service.shutdown()
        for thread in (worker, scheduler, dispatcher):
            if thread:
                thread.stop()
                thread.join(timeout=10)

    app = FastAPI(title="openzone", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.gateway = Gateway(settings=settings, authenticate=partial(
        lookup_credential, cache_seconds=settings.credential_cache_seconds))

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app.router.routes.append(Route("/v2/{path:path}", datazone_endpoint, methods=methods))
    app.router.routes.append(Route("/", json_endpoint, methods=["POST"]))  # Athena and EventBridge
    app.router.routes.extend(portal_routes())
    return app


def serve(settings: Settings, log_level: str = "info") -> None:
    """Run the server in this process (uvicorn) until it is stopped."""
    import uvicorn

    app = create_app(settings)
    query_service.prestart(settings)
    settle_heap()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level)


def settle_heap() -> None:
    """Load what every request uses, then put everything loaded so far out of the garbage collector's reach.

    Those objects (the service models, SQLAlchemy's mappers, the dictionaries) live as long as the process;
    left in the collector's generations, each full collection scans them all: ~300,000 objects, ~160 ms in
    the middle of some request."""
    rest.routes("datazone")
    for service, handlers in HANDLERS.items():
        for name in handlers:
            op = operation(service, name)
            op.input_shape, op.output_shape  # noqa: B018  (resolved once, cached by botocore)
    gc.collect()
    gc.freeze()
