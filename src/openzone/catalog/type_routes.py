"""DataZone wire operations for form types and asset types."""

from openzone.catalog import types as service
from openzone.catalog.types import AssetTypeInfo, FormTypeInfo
from openzone.wire.registry import Call, datazone


def _owner(info: FormTypeInfo | AssetTypeInfo) -> dict:
    return {"domainId": info.domain_id, "name": info.name, "revision": info.revision,
            "description": info.description, "owningProjectId": info.owning_project_id,
            "originDomainId": info.origin_domain_id, "originProjectId": info.origin_project_id}


def _form_type(info: FormTypeInfo, detail: bool = False) -> dict:
    out = _owner(info)
    if detail:
        out |= {"model": {"smithy": info.smithy}, "status": info.status,
                "imports": [{"name": name, "revision": revision} for name, revision in info.imports] or None,
                "createdAt": info.created_at, "createdBy": info.created_by}
    return out


def _asset_type(info: AssetTypeInfo) -> dict:
    forms = {name: {"typeName": type_name, "typeRevision": type_revision, "required": required}
             for name, (type_name, type_revision, required) in info.forms.items()}
    return _owner(info) | {"formsOutput": forms, "createdAt": info.created_at, "createdBy": info.created_by}


@datazone("CreateFormType")
def create_form_type(call: Call, p: dict) -> dict:
    return _form_type(service.create_form_type(call.session, call.principal, p["domainIdentifier"], p))


@datazone("GetFormType")
def get_form_type(call: Call, p: dict) -> dict:
    return _form_type(service.get_form_type(call.session, call.principal, p["domainIdentifier"],
                                            p["formTypeIdentifier"], p.get("revision")), detail=True)


@datazone("DeleteFormType")
def delete_form_type(call: Call, p: dict) -> dict:
    service.delete_form_type(call.session, call.principal, p["domainIdentifier"], p["formTypeIdentifier"])
    return {}


@datazone("CreateAssetType")
def create_asset_type(call: Call, p: dict) -> dict:
    return _asset_type(service.create_asset_type(call.session, call.principal, p["domainIdentifier"], p))


@datazone("GetAssetType")
def get_asset_type(call: Call, p: dict) -> dict:
    return _asset_type(service.get_asset_type(call.session, call.principal, p["domainIdentifier"],
                                              p["identifier"], p.get("revision")))


@datazone("DeleteAssetType")
def delete_asset_type(call: Call, p: dict) -> dict:
    service.delete_asset_type(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {}
