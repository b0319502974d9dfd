"""GetEnvironmentProfile and ListEnvironmentProfiles: a project's profiles, for its members only."""

import pytest
from botocore.exceptions import ClientError

from scenario import build_world


@pytest.fixture(scope="module")
def world(server):
    return build_world(server)


def test_members_list_and_get_their_projects_profiles(world):
    dz, domain = world.producer.dz, world.domain_id
    profile_id = world.sales_env["environmentProfileId"]
    listed = dz.list_environment_profiles(domainIdentifier=domain)["items"]
    assert [p["id"] for p in listed] == [profile_id]
    assert listed[0]["projectId"] == world.sales_id and listed[0]["name"] == "sales_lake-profile"
    assert dz.list_environment_profiles(domainIdentifier=domain, projectIdentifier=world.sales_id,
                                        name="sales_lake-profile")["items"][0]["id"] == profile_id
    assert dz.list_environment_profiles(domainIdentifier=domain, name="other")["items"] == []
    blueprint = listed[0]["environmentBlueprintId"]
    assert len(dz.list_environment_profiles(domainIdentifier=domain,
                                            environmentBlueprintIdentifier=blueprint)["items"]) == 1
    got = dz.get_environment_profile(domainIdentifier=domain, identifier=profile_id)
    assert got["name"] == "sales_lake-profile" and got["environmentBlueprintId"] == blueprint
    # The admin sees every project's profiles.
    assert {p["projectId"] for p in world.admin.dz.list_environment_profiles(domainIdentifier=domain)["items"]} == {
        world.sales_id, world.analytics_id}


def test_other_projects_profiles_are_not_visible(world):
    dz, domain = world.consumer.dz, world.domain_id
    assert world.sales_env["environmentProfileId"] not in [
        p["id"] for p in dz.list_environment_profiles(domainIdentifier=domain)["items"]]
    with pytest.raises(ClientError) as hidden:
        dz.get_environment_profile(domainIdentifier=domain, identifier=world.sales_env["environmentProfileId"])
    assert hidden.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as refused:
        dz.list_environment_profiles(domainIdentifier=domain, projectIdentifier=world.sales_id)
    assert refused.value.response["Error"]["Code"] in ("ResourceNotFoundException", "AccessDeniedException")
