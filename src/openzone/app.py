"""create_app(settings): the ASGI application serving DataZone's API, Athena's API, the portal and /health."""

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
from openzone.wire.asgi import datazone_endpoint, json_endpoint
from openzone.wire.dispatch import Gateway

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
