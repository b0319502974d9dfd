"""SearchTypes through boto3: system or custom types, text, filters, sort, paging, refusals."""

import uuid

import pytest
from botocore.exceptions import ClientError

from scenario import build_world


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def smithy(name: str) -> str:
    return f'$version: "2"\nnamespace example.forms\nstructure {name} {{\n    note: String\n}}\n'


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    dz, tag = world.producer.dz, uuid.uuid4().hex[:6]
    world.forms = {}
    for name, description in (("Invoice", "Billing documents"), ("Shipment", "Parcels on their way"),
                              ("Customer", "People who pay invoices")):
        full = f"{name}{tag}FormType"
        dz.create_form_type(domainIdentifier=world.domain_id, name=full, model={"smithy": smithy(full)},
                            owningProjectIdentifier=world.sales_id, description=description)
        world.forms[name] = full
    # a second revision: searches see each type once, at its latest revision
    dz.create_form_type(domainIdentifier=world.domain_id, name=world.forms["Invoice"], description="Billing, v2",
                        model={"smithy": smithy(world.forms["Invoice"])}, owningProjectIdentifier=world.sales_id)
    world.asset_type = f"Ledger_{tag}"
    dz.create_asset_type(domainIdentifier=world.domain_id, name=world.asset_type, description="General ledger",
                         owningProjectIdentifier=world.sales_id,
                         formsInput={"Invoice": {"typeIdentifier": world.forms["Invoice"], "typeRevision": "2"}})
    return world


def search(world, caller=None, **kwargs) -> dict:
    params = {"domainIdentifier": world.domain_id, "searchScope": "FORM_TYPE", "managed": False, **kwargs}
    return (caller or world.consumer).dz.search_types(**params)


def names(result: dict) -> list[str]:
    return [next(iter(item.values()))["name"] for item in result["items"]]


def test_custom_form_types_once_each_at_their_latest_revision(world):
    found = search(world)
    assert sorted(names(found)) == sorted(world.forms.values()) and found["totalMatchCount"] == 3
    invoice = next(i["formTypeItem"] for i in found["items"] if i["formTypeItem"]["name"] == world.forms["Invoice"])
    assert invoice["revision"] == "2" and invoice["description"] == "Billing, v2"
    assert invoice["owningProjectId"] == world.sales_id and invoice["status"] == "ENABLED"
    assert "structure" in invoice["model"]["smithy"]


def test_managed_means_the_system_types(world):
    system = search(world, managed=True, searchText="glue table")
    assert "amazon.datazone.GlueTableFormType" in names(system)
    assert not set(names(system)) & set(world.forms.values())
    assets = search(world, managed=True, searchScope="ASSET_TYPE")
    assert "amazon.datazone.GlueTableAssetType" in names(assets)
    glue = next(i["assetTypeItem"] for i in assets["items"] if i["assetTypeItem"]["name"].endswith("GlueTableAssetType"))
    assert glue["formsOutput"]["GlueTableForm"]["required"] is True


def test_custom_asset_types(world):
    found = search(world, searchScope="ASSET_TYPE")
    assert names(found) == [world.asset_type]
    item = found["items"][0]["assetTypeItem"]
    assert item["formsOutput"]["Invoice"] == {"typeName": world.forms["Invoice"], "typeRevision": "2",
                                              "required": False}


def test_search_text_over_name_and_description_best_first(world):
    # "invoice" is in Invoice's name and in Customer's description: the name match first
    assert names(search(world, searchText="invoice")) == [world.forms["Invoice"], world.forms["Customer"]]
    assert names(search(world, searchText="PARCELS way")) == [world.forms["Shipment"]]
    assert names(search(world, searchText="invoice", searchIn=[{"attribute": "name"}])) == [world.forms["Invoice"]]
    assert search(world, searchText="nothing like it")["totalMatchCount"] == 0
    assert names(search(world, searchText=world.forms["Customer"]))[0] == world.forms["Customer"]


def test_filters(world):
    eq = search(world, filters={"filter": {"attribute": "name", "value": world.forms["Shipment"]}})
    assert names(eq) == [world.forms["Shipment"]]
    either = search(world, filters={"or": [{"filter": {"attribute": "name", "value": world.forms["Shipment"]}},
                                           {"filter": {"attribute": "description", "value": "billing",
                                                       "operator": "TEXT_SEARCH"}}]})
    assert sorted(names(either)) == sorted([world.forms["Shipment"], world.forms["Invoice"]])
    revised = search(world, filters={"and": [{"filter": {"attribute": "revision", "intValue": 2, "operator": "GE"}},
                                             {"filter": {"attribute": "owningProjectId", "value": world.sales_id}}]})
    assert names(revised) == [world.forms["Invoice"]]
    assert search(world, filters={"filter": {"attribute": "status", "value": "DISABLED"}})["totalMatchCount"] == 0


def test_sort_and_paging(world):
    ordered = sorted(world.forms.values(), reverse=True)
    first = search(world, sort={"attribute": "name", "order": "DESCENDING"}, maxResults=2)
    assert names(first) == ordered[:2] and first["totalMatchCount"] == 3
    rest = search(world, sort={"attribute": "name", "order": "DESCENDING"}, maxResults=2,
                  nextToken=first["nextToken"])
    assert names(rest) == ordered[2:] and "nextToken" not in rest
    by_time = names(search(world, sort={"attribute": "createdAt"}))
    assert by_time.index(world.forms["Shipment"]) < by_time.index(world.forms["Invoice"])  # Invoice revised last


@pytest.mark.parametrize("kwargs, words", [
    ({"searchScope": "LINEAGE_NODE_TYPE"}, ["LINEAGE_NODE_TYPE"]),
    ({"searchIn": [{"attribute": "smithy"}]}, ["smithy"]),
    ({"filters": {"filter": {"attribute": "colour", "value": "x"}}}, ["colour"]),
    ({"filters": {"filter": {"attribute": "name", "value": "x", "operator": "GT"}}}, ["GT", "revision"]),
    ({"searchScope": "ASSET_TYPE", "filters": {"filter": {"attribute": "status", "value": "ENABLED"}}}, ["status"]),
    ({"sort": {"attribute": "popularity"}}, ["popularity"]),
])
def test_what_is_refused(world, kwargs, words):
    code, message = error_of(search, world=world, **kwargs)
    assert code == "ValidationException" and all(word in message for word in words), message


def test_only_users_of_the_domain_search(world, server):
    code, _ = error_of(search, world=world, caller=server.user())
    assert code == "ResourceNotFoundException"
