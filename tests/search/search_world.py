"""A small catalog for the filter, facet, rationale and inventory tests: no environments, custom forms.

Sales (producer) owns four assets of a custom type whose Quality form has searchable `steward` and
`region`, sortable `rowCount`, and an unannotated `note`; three are published. Analytics (consumer)
owns one unpublished asset. A domain user in no project (outsider) sees only the published catalog.
"""

import json
import uuid
from dataclasses import dataclass, field

from typing import Any

QUALITY = '''$version: "2"
namespace example.search

structure {name} {{
    @amazon.datazone#searchable
    steward: String
    @amazon.datazone#searchable
    region: String
    @amazon.datazone#sortable
    rowCount: Long
    note: String
}}
'''


@dataclass
class Catalog:
    admin: Any  # conftest.Caller
    producer: Any
    consumer: Any
    outsider: Any
    domain_id: str
    sales_id: str
    analytics_id: str
    asset_type: str
    term_revenue: str
    term_churn: str
    glossary_enabled: str
    glossary_disabled: str
    form_type: str = ""  # the Quality form type's name
    assets: dict[str, str] = field(default_factory=dict)  # key -> asset id
    listings: dict[str, str] = field(default_factory=dict)  # key -> listing id


# key, name, description, steward, region, rowCount, terms, published
ASSETS = [
    ("orders", "Customer Orders", "Every order a customer placed", "alice", "eu", 100, ["revenue"], True),
    ("archive", "Orders Archive", "Orders older than two years", "bob", "us", 5000, [], True),
    ("sales", "Store Sales", "Sales in our shops by region", "alice", "us", 50, ["revenue", "churn"], True),
    ("payroll", "Secret Payroll", "Salaries, never published", "carol", "eu", 10, [], False),
]


def build_catalog(server) -> Catalog:
    admin, producer, consumer, outsider = server.user(admin=True), server.user(), server.user(), server.user()
    domain = admin.dz.create_domain(name=f"Search-{uuid.uuid4().hex[:6]}",
                                    domainExecutionRole="arn:aws:iam::000000000000:role/dz")["id"]
    for caller in (producer, consumer, outsider):
        admin.dz.create_user_profile(domainIdentifier=domain, userIdentifier=caller.arn)
    sales = producer.dz.create_project(domainIdentifier=domain, name="Sales")["id"]
    analytics = consumer.dz.create_project(domainIdentifier=domain, name="Analytics")["id"]
    dz = producer.dz
    form = f"Quality{uuid.uuid4().hex[:6]}FormType"
    dz.create_form_type(domainIdentifier=domain, name=form, model={"smithy": QUALITY.format(name=form)},
                        owningProjectIdentifier=sales, status="ENABLED")
    asset_type = f"Dataset_{uuid.uuid4().hex[:6]}"
    dz.create_asset_type(domainIdentifier=domain, name=asset_type, owningProjectIdentifier=sales,
                         formsInput={"Quality": {"typeIdentifier": form, "typeRevision": "1", "required": True}})
    glossary = dz.create_glossary(domainIdentifier=domain, name="Business Terms", owningProjectIdentifier=sales,
                                  description="Words the business uses", status="ENABLED")["id"]
    revenue = dz.create_glossary_term(domainIdentifier=domain, glossaryIdentifier=glossary, name="Revenue",
                                      shortDescription="Money coming in", status="ENABLED")["id"]
    churn = dz.create_glossary_term(domainIdentifier=domain, glossaryIdentifier=glossary, name="Churn",
                                    shortDescription="Customers leaving", status="ENABLED")["id"]
    draft = dz.create_glossary(domainIdentifier=domain, name="Draft Vocabulary", owningProjectIdentifier=sales,
                               description="Not ready yet", status="DISABLED")["id"]
    catalog = Catalog(admin, producer, consumer, outsider, domain, sales, analytics, asset_type, revenue, churn,
                      glossary, draft, form)
    terms = {"revenue": revenue, "churn": churn}
    for key, name, description, steward, region, rows, glossary_terms, published in ASSETS:
        content = {"steward": steward, "region": region, "rowCount": rows, "note": f"note of {key}"}
        params = {"glossaryTerms": [terms[t] for t in glossary_terms]} if glossary_terms else {}
        asset = dz.create_asset(domainIdentifier=domain, owningProjectIdentifier=sales, name=name,
                                description=description, typeIdentifier=asset_type,
                                formsInput=[{"formName": "Quality", "content": json.dumps(content)}], **params)
        catalog.assets[key] = asset["id"]
        if published:
            catalog.listings[key] = dz.create_listing_change_set(
                domainIdentifier=domain, entityIdentifier=asset["id"], entityType="ASSET", action="PUBLISH")["listingId"]
    # The consumer's own inventory: never seen by the producer.
    content = {"steward": "dave", "region": "eu", "rowCount": 7, "note": "n"}
    churn_asset = consumer.dz.create_asset(domainIdentifier=domain, owningProjectIdentifier=analytics,
                                           name="Churn Scores", description="Customer orders at risk",
                                           typeIdentifier=asset_type,
                                           formsInput=[{"formName": "Quality", "content": json.dumps(content)}])
    catalog.assets["scores"] = churn_asset["id"]
    return catalog
