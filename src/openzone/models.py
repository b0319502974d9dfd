"""Imports every ORM module so the metadata (and Alembic) sees all tables."""

from openzone.catalog import models as catalog_models  # noqa: F401
from openzone.catalog import product_models as catalog_product_models  # noqa: F401
from openzone.catalog import type_models as catalog_type_models  # noqa: F401
from openzone.domains import models as domain_models  # noqa: F401
from openzone.enrichment import models as enrichment_models  # noqa: F401
from openzone.events import models as event_models  # noqa: F401
from openzone.fulfillment import models as fulfillment_models  # noqa: F401
from openzone.fulfillment.reconcile import models as reconcile_models  # noqa: F401
from openzone.glossary import models as glossary_models  # noqa: F401
from openzone.governance import models as governance_models  # noqa: F401
from openzone.identity import models as identity_models  # noqa: F401
from openzone.jobs import models as job_models  # noqa: F401
from openzone.projects import models as project_models  # noqa: F401
from openzone.query import models as query_models  # noqa: F401
from openzone.search import index as search_index  # noqa: F401  (its table, and the listener that keeps it)
from openzone.sources import models as source_models  # noqa: F401
from openzone.subscriptions import filter_models as subscription_filter_models  # noqa: F401
from openzone.subscriptions import models as subscription_models  # noqa: F401
from openzone.wire import idempotency  # noqa: F401
