"""Building blocks for governance tests. A small domain per test: admin (domain creator), a producer owning Sales, a consumer owning Analytics."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from conftest import Caller

S3_TYPE = "amazon.datazone.S3ObjectCollectionAssetType"
NOTE_SMITHY = '''$version: "2"
namespace example.forms

structure {name} {{
    @required
    owner: String
    retentionDays: Integer
}}
'''


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


@dataclass
class Gov:
    admin: Caller
    producer: Caller
    consumer: Caller
    domain_id: str
    root_unit_id: str
    sales_id: str
    analytics_id: str

    def form_type(self, name: str | None = None) -> str:
        """A custom form type of Sales with a required `owner` field; returns its name (revision 1)."""
        name = name or f"Stewardship{uuid.uuid4().hex[:6]}FormType"
        self.producer.dz.create_form_type(domainIdentifier=self.domain_id, name=name,
                                          model={"smithy": NOTE_SMITHY.format(name=name)},
                                          owningProjectIdentifier=self.sales_id)
        return name

    def s3_asset(self, forms: list[dict] | None = None, **extra) -> dict:
        bucket = {"formName": "S3ObjectCollectionForm",
                  "content": json.dumps({"bucketArn": "arn:aws:s3:::sales-bucket"})}
        return self.producer.dz.create_asset(domainIdentifier=self.domain_id, owningProjectIdentifier=self.sales_id,
                                             name=f"Orders-{uuid.uuid4().hex[:6]}", typeIdentifier=S3_TYPE,
                                             formsInput=[bucket] + (forms or []), **extra)

    def publish(self, asset_id: str, caller: Caller | None = None, **extra) -> dict:
        return (caller or self.producer).dz.create_listing_change_set(
            domainIdentifier=self.domain_id, entityIdentifier=asset_id, entityType="ASSET", action="PUBLISH",
            **extra)

    def rule(self, detail: dict, action: str = "CREATE_LISTING_CHANGE_SET", scope: dict | None = None,
             caller: Caller | None = None, **extra) -> dict:
        return (caller or self.admin).dz.create_rule(
            domainIdentifier=self.domain_id, name=f"Rule {uuid.uuid4().hex[:6]}", action=action,
            target={"domainUnitTarget": {"domainUnitId": extra.pop("unit", self.root_unit_id)}},
            scope=scope or {"assetType": {"selectionMode": "ALL"}}, detail=detail, **extra)


def new_gov(server) -> Gov:
    admin, producer, consumer = server.user(admin=True), server.user(), server.user()
    domain = admin.dz.create_domain(name=f"Gov-{uuid.uuid4().hex[:8]}",
                                    domainExecutionRole="arn:aws:iam::000000000000:role/dz")
    for caller in (producer, consumer):
        admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=caller.arn)
    sales = producer.dz.create_project(domainIdentifier=domain["id"], name="Sales")
    analytics = consumer.dz.create_project(domainIdentifier=domain["id"], name="Analytics")
    return Gov(admin, producer, consumer, domain["id"], domain["rootDomainUnitId"], sales["id"], analytics["id"])
