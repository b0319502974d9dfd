"""Form types and asset types through boto3: revisions, Smithy errors, imports, system types, delete rules, access."""

import uuid
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from conftest import Caller
from openzone.catalog.models import Asset
from openzone.catalog.types import AssetTypeInfo, form_model, resolve_asset_type
from openzone.db.session import session_scope
from openzone.wire.ids import new_id
from scenario import World, build_world


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def smithy(name: str, body: str = "@required\n    customerId: String\n    email: String", extra: str = "") -> str:
    return f'$version: "2"\nnamespace example.forms\n\nstructure {name} {{\n    {body}\n}}\n{extra}'


@dataclass
class Types:
    world: World
    viewer: Caller  # PROJECT_CATALOG_VIEWER of Sales: a domain user who may read, may not change
    stranger: Caller  # no profile in the domain

    @property
    def domain(self) -> str:
        return self.world.domain_id

    def form_type(self, name: str | None = None, caller: Caller | None = None, **kwargs) -> dict:
        name = name or f"Form{uuid.uuid4().hex[:8]}Type"
        params = {"name": name, "model": {"smithy": smithy(name)}, "owningProjectIdentifier": self.world.sales_id,
                  **kwargs}
        return (caller or self.world.producer).dz.create_form_type(domainIdentifier=self.domain, **params)

    def asset_type(self, forms: dict, name: str | None = None, caller: Caller | None = None, **kwargs) -> dict:
        params = {"name": name or f"Asset_{uuid.uuid4().hex[:8]}", "formsInput": forms,
                  "owningProjectIdentifier": self.world.sales_id, **kwargs}
        return (caller or self.world.producer).dz.create_asset_type(domainIdentifier=self.domain, **params)

    def get_form_type(self, identifier: str, caller: Caller | None = None, **kwargs) -> dict:
        return (caller or self.world.producer).dz.get_form_type(domainIdentifier=self.domain,
                                                                formTypeIdentifier=identifier, **kwargs)

    def get_asset_type(self, identifier: str, caller: Caller | None = None, **kwargs) -> dict:
        return (caller or self.world.producer).dz.get_asset_type(domainIdentifier=self.domain, identifier=identifier,
                                                                 **kwargs)


@pytest.fixture(scope="module")
def t(server) -> Types:
    world = build_world(server)
    viewer = server.user()
    world.admin.dz.create_user_profile(domainIdentifier=world.domain_id, userIdentifier=viewer.arn)
    world.producer.dz.create_project_membership(domainIdentifier=world.domain_id, projectIdentifier=world.sales_id,
                                                member={"userIdentifier": viewer.arn},
                                                designation="PROJECT_CATALOG_VIEWER")
    return Types(world, viewer, server.user())


def user_id(t: Types, caller: Caller) -> str:
    return t.world.admin.dz.get_user_profile(domainIdentifier=t.domain, userIdentifier=caller.arn)["id"]


# Form types


def test_create_and_get_a_form_type(t):
    created = t.form_type(description="Who the customer is")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["revision"] == "1" and created["domainId"] == t.domain
    assert created["owningProjectId"] == t.world.sales_id == created["originProjectId"]
    assert created["originDomainId"] == t.domain and created["description"] == "Who the customer is"
    assert "model" not in created
    fetched = t.get_form_type(created["name"])
    assert fetched["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert fetched["name"] == created["name"] and fetched["revision"] == "1" and fetched["status"] == "ENABLED"
    assert fetched["model"] == {"smithy": smithy(created["name"])}
    assert fetched["createdBy"] == user_id(t, t.world.producer) and fetched["createdAt"].year >= 2024
    assert "imports" not in fetched


def test_the_same_name_again_is_a_new_immutable_revision(t):
    name = f"Customer{uuid.uuid4().hex[:6]}Type"
    t.form_type(name)
    second = t.form_type(name, model={"smithy": smithy(name, "@required\n    customerId: String\n    phone: String")},
                         status="DISABLED")
    assert second["revision"] == "2"
    latest = t.get_form_type(name)
    assert latest["revision"] == "2" and latest["status"] == "DISABLED" and "phone" in latest["model"]["smithy"]
    first = t.get_form_type(name, revision="1")
    assert first["revision"] == "1" and first["status"] == "ENABLED" and "email" in first["model"]["smithy"]
    assert error_of(t.world.producer.dz.get_form_type, domainIdentifier=t.domain, formTypeIdentifier=name,
                    revision="3")[0] == "ResourceNotFoundException"


def test_another_project_cannot_take_a_form_type_name(t):
    name = f"Taken{uuid.uuid4().hex[:6]}Type"
    t.form_type(name)
    code, _ = error_of(t.form_type, name=name, caller=t.world.consumer,
                       owningProjectIdentifier=t.world.analytics_id)
    assert code == "ConflictException"


def test_a_bad_smithy_model_is_refused_with_the_line_and_the_rule(t):
    name = f"Broken{uuid.uuid4().hex[:6]}Type"
    code, message = error_of(t.form_type, name=name, model={"smithy": smithy(name, "customerId: Strnig")})
    assert code == "ValidationException"
    assert message.startswith("line 5:") and "Strnig" in message
    code, message = error_of(t.form_type, name=name, model={"smithy": smithy("SomethingElse")})
    assert code == "ValidationException" and f"structure {name}" in message
    assert error_of(t.get_form_type, identifier=name)[0] == "ResourceNotFoundException"


def test_imports_resolve_custom_and_system_form_types(t):
    address = f"Address{uuid.uuid4().hex[:6]}Type"
    t.form_type(address, model={"smithy": smithy(address, "street: String\n    city: String")})
    t.form_type(address, model={"smithy": smithy(address, "street: String\n    city: String\n    zip: String")})
    name = f"Shipping{uuid.uuid4().hex[:6]}Type"
    body = f"@required\n    to: {address}\n    table: GlueTableFormType"
    created = t.form_type(name, model={"smithy": smithy(name, body)})
    fetched = t.get_form_type(created["name"])
    assert sorted(fetched["imports"], key=lambda i: i["name"]) == [
        {"name": address, "revision": "2"}, {"name": "amazon.datazone.GlueTableFormType", "revision": "1"}]
    with session_scope(t.world.admin.server.settings.metadata_url) as session:
        model = form_model(session, t.domain, name, "1")
    assert model.fields["to"].model.fields.keys() == {"street", "city", "zip"}
    assert "tableName" in model.fields["table"].model.fields
    unknown = f"Lost{uuid.uuid4().hex[:6]}Type"
    code, message = error_of(t.form_type, name=unknown, model={"smithy": smithy(unknown, "where: NowhereType")})
    assert code == "ValidationException" and "NowhereType" in message


def test_system_form_types_are_readable_by_every_domain_user(t):
    fetched = t.get_form_type("amazon.datazone.GlueTableFormType", caller=t.viewer)
    assert fetched["name"] == "amazon.datazone.GlueTableFormType" and fetched["revision"] == "1"
    assert fetched["status"] == "ENABLED" and "structure GlueTableFormType" in fetched["model"]["smithy"]
    assert fetched["owningProjectId"] == "amazon.datazone"
    for name in ("S3ObjectCollectionFormType", "ColumnBusinessMetadataFormType", "AssetCommonDetailsFormType"):
        assert t.get_form_type(f"amazon.datazone.{name}", caller=t.world.consumer)["revision"] == "1"
    assert error_of(t.get_form_type, identifier="amazon.datazone.GlueTableFormType",
                    revision="2")[0] == "ResourceNotFoundException"


def test_system_names_are_reserved(t):
    name = "amazon.datazone.GlueTableFormType"
    code, message = error_of(t.form_type, name=name, model={"smithy": smithy("GlueTableFormType")})
    assert code == "ValidationException" and "reserved" in message
    code, _ = error_of(t.world.producer.dz.delete_form_type, domainIdentifier=t.domain, formTypeIdentifier=name)
    assert code == "ValidationException"
    code, _ = error_of(t.asset_type, forms={}, name="amazon.datazone.GlueTableAssetType")
    assert code == "ValidationException"
    code, _ = error_of(t.world.producer.dz.delete_asset_type, domainIdentifier=t.domain,
                       identifier="amazon.datazone.GlueTableAssetType")
    assert code == "ValidationException"
    assert t.get_asset_type("amazon.datazone.GlueTableAssetType")["revision"] == "1"


def test_asset_type_names_must_be_usable_as_identifiers(t):
    code, message = error_of(t.asset_type, forms={}, name="Customer files")
    assert code == "ValidationException" and "Customer files" in message


def test_delete_a_form_type(t):
    created = t.form_type()
    t.form_type(created["name"])
    deleted = t.world.producer.dz.delete_form_type(domainIdentifier=t.domain, formTypeIdentifier=created["name"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(t.get_form_type, identifier=created["name"], revision="1")[0] == "ResourceNotFoundException"
    assert error_of(t.get_form_type, identifier=created["name"])[0] == "ResourceNotFoundException"


def test_a_form_type_in_use_cannot_be_deleted(t):
    used = t.form_type()["name"]
    asset_type = t.asset_type({"Profile": {"typeIdentifier": used, "typeRevision": "1"}})
    code, message = error_of(t.world.producer.dz.delete_form_type, domainIdentifier=t.domain, formTypeIdentifier=used)
    assert code == "ConflictException" and asset_type["name"] in message
    imported = t.form_type()["name"]
    importer = f"Importer{uuid.uuid4().hex[:6]}Type"
    t.form_type(importer, model={"smithy": smithy(importer, f"inner: {imported}")})
    code, message = error_of(t.world.producer.dz.delete_form_type, domainIdentifier=t.domain,
                             formTypeIdentifier=imported)
    assert code == "ConflictException" and importer in message


# Asset types


def test_create_and_get_an_asset_type_with_revisions(t):
    profile = t.form_type()["name"]
    forms = {"Profile": {"typeIdentifier": profile, "typeRevision": "1", "required": True},
             "Details": {"typeIdentifier": "amazon.datazone.AssetCommonDetailsFormType", "typeRevision": "1"}}
    created = t.asset_type(forms, description="A customer file")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["revision"] == "1" and created["owningProjectId"] == t.world.sales_id
    assert created["formsOutput"] == {
        "Profile": {"typeName": profile, "typeRevision": "1", "required": True},
        "Details": {"typeName": "amazon.datazone.AssetCommonDetailsFormType", "typeRevision": "1", "required": False}}
    second = t.asset_type({"Profile": forms["Profile"]}, name=created["name"])
    assert second["revision"] == "2"
    latest = t.get_asset_type(created["name"], caller=t.viewer)
    assert latest["revision"] == "2" and list(latest["formsOutput"]) == ["Profile"]
    assert latest["createdBy"] == user_id(t, t.world.producer) and latest["originDomainId"] == t.domain
    first = t.get_asset_type(created["name"], revision="1")
    assert first["formsOutput"] == created["formsOutput"] and first["description"] == "A customer file"
    with session_scope(t.world.admin.server.settings.metadata_url) as session:
        info = resolve_asset_type(session, t.domain, created["name"], "1")
    assert isinstance(info, AssetTypeInfo) and info.forms["Profile"] == (profile, "1", True)


def test_an_asset_type_needs_existing_form_type_revisions(t):
    profile = t.form_type()["name"]
    code, message = error_of(t.asset_type, forms={"Profile": {"typeIdentifier": profile, "typeRevision": "2"}})
    assert code == "ValidationException" and "Profile" in message and profile in message
    code, message = error_of(t.asset_type, forms={"Ghost": {"typeIdentifier": "NoSuchFormType", "typeRevision": "1"}})
    assert code == "ValidationException" and "Ghost" in message
    code, message = error_of(t.asset_type, forms={"Src": {"typeIdentifier": "amazon.datazone.GlueTableFormType",
                                                          "typeRevision": "7"}})
    assert code == "ValidationException" and "Src" in message
    disabled = t.form_type(status="DISABLED")["name"]
    code, message = error_of(t.asset_type, forms={"Off": {"typeIdentifier": disabled, "typeRevision": "1"}})
    assert code == "ValidationException" and "DISABLED" in message


def test_system_asset_types_are_readable_by_every_domain_user(t):
    glue = t.get_asset_type("amazon.datazone.GlueTableAssetType", caller=t.viewer)
    assert glue["name"] == "amazon.datazone.GlueTableAssetType" and glue["revision"] == "1"
    assert glue["owningProjectId"] == "amazon.datazone"
    assert glue["formsOutput"]["GlueTableForm"] == {"typeName": "amazon.datazone.GlueTableFormType",
                                                    "typeRevision": "1", "required": True}
    assert glue["formsOutput"]["ColumnBusinessMetadataForm"]["required"] is False
    assert glue["formsOutput"]["AssetCommonDetailsForm"]["required"] is False
    s3 = t.get_asset_type("amazon.datazone.S3ObjectCollectionAssetType", caller=t.world.consumer)
    assert s3["formsOutput"]["S3ObjectCollectionForm"]["required"] is True
    assert "ColumnBusinessMetadataForm" not in s3["formsOutput"]
    for name in ("GlueViewAssetType", "RedshiftTableAssetType", "RedshiftViewAssetType"):
        forms = t.get_asset_type(f"amazon.datazone.{name}")["formsOutput"]
        for form in forms.values():  # every form of every system asset type is a readable system form type
            assert t.get_form_type(form["typeName"], revision=form["typeRevision"])["name"] == form["typeName"]
    with session_scope(t.world.admin.server.settings.metadata_url) as session:
        info = resolve_asset_type(session, t.domain, "amazon.datazone.GlueTableAssetType")
        model = form_model(session, t.domain, *info.forms["GlueTableForm"][:2])
    assert "tableName" in model.fields


def test_delete_an_unused_asset_type(t):
    created = t.asset_type({})
    t.asset_type({}, name=created["name"])
    deleted = t.world.producer.dz.delete_asset_type(domainIdentifier=t.domain, identifier=created["name"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(t.get_asset_type, identifier=created["name"])[0] == "ResourceNotFoundException"
    assert error_of(t.get_asset_type, identifier=created["name"], revision="1")[0] == "ResourceNotFoundException"


def test_an_asset_type_with_assets_cannot_be_deleted(t):
    created = t.asset_type({})
    # CreateAsset registers Glue tables only for now: the asset row is put in directly.
    with session_scope(t.world.admin.server.settings.metadata_url) as session:
        session.add(Asset(id=new_id(), domain_id=t.domain, owning_project_id=t.world.sales_id,
                          type_identifier=created["name"], type_revision="1",
                          created_by=user_id(t, t.world.producer)))
    code, _ = error_of(t.world.producer.dz.delete_asset_type, domainIdentifier=t.domain, identifier=created["name"])
    assert code == "ConflictException"
    assert t.get_asset_type(created["name"])["revision"] == "1"


# Access


def test_only_owners_and_contributors_create_and_delete(t):
    assert error_of(t.form_type, caller=t.viewer)[0] == "AccessDeniedException"
    assert error_of(t.form_type, caller=t.world.consumer)[0] == "AccessDeniedException"
    assert error_of(t.form_type, caller=t.stranger)[0] == "ResourceNotFoundException"
    assert error_of(t.asset_type, forms={}, caller=t.viewer)[0] == "AccessDeniedException"
    form = t.form_type()["name"]
    asset = t.asset_type({})["name"]
    for caller in (t.viewer, t.world.consumer):
        assert error_of(caller.dz.delete_form_type, domainIdentifier=t.domain,
                        formTypeIdentifier=form)[0] == "AccessDeniedException"
        assert error_of(caller.dz.delete_asset_type, domainIdentifier=t.domain,
                        identifier=asset)[0] == "AccessDeniedException"


def test_domain_users_read_and_strangers_do_not(t):
    form = t.form_type()["name"]
    asset = t.asset_type({"F": {"typeIdentifier": form, "typeRevision": "1"}})["name"]
    assert t.get_form_type(form, caller=t.world.consumer)["name"] == form
    assert t.get_asset_type(asset, caller=t.world.consumer)["formsOutput"]["F"]["typeName"] == form
    assert error_of(t.get_form_type, identifier=form, caller=t.stranger)[0] == "ResourceNotFoundException"
    assert error_of(t.get_asset_type, identifier=asset, caller=t.stranger)[0] == "ResourceNotFoundException"
