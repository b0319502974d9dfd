"""Projects, memberships, environment profiles and environments through boto3."""

import uuid
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from conftest import Caller, wait_for
from scenario import environment, resource, run_sql

ROLE = "arn:aws:iam::000000000000:role/dz"


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


@dataclass
class Domain:
    id: str
    admin: Caller
    owner: Caller
    lake_blueprint: str
    warehouse_blueprint: str

    def join(self, caller: Caller) -> Caller:
        self.admin.dz.create_user_profile(domainIdentifier=self.id, userIdentifier=caller.arn)
        return caller


@pytest.fixture(scope="module")
def domain(server) -> Domain:
    admin = server.user(admin=True)
    domain_id = admin.dz.create_domain(name=f"Projects-{uuid.uuid4().hex[:6]}", domainExecutionRole=ROLE)["id"]
    blueprints = {b["name"]: b["id"] for b in
                  admin.dz.list_environment_blueprints(domainIdentifier=domain_id, managed=True)["items"]}
    admin.dz.put_environment_blueprint_configuration(domainIdentifier=domain_id, enabledRegions=["us-east-1"],
                                                     environmentBlueprintIdentifier=blueprints["DefaultDataLake"])
    result = Domain(domain_id, admin, server.user(), blueprints["DefaultDataLake"], blueprints["DefaultDataWarehouse"])
    result.join(result.owner)
    return result


def new_project(domain: Domain, caller: Caller | None = None) -> dict:
    caller = caller or domain.owner
    return caller.dz.create_project(domainIdentifier=domain.id, name=f"P-{uuid.uuid4().hex[:8]}")


def add(domain: Domain, project_id: str, user: Caller, designation: str, by: Caller | None = None) -> None:
    (by or domain.owner).dz.create_project_membership(
        domainIdentifier=domain.id, projectIdentifier=project_id, member={"userIdentifier": user.arn},
        designation=designation)


def members(domain: Domain, project_id: str, caller: Caller | None = None) -> dict[str, str]:
    page = (caller or domain.owner).dz.list_project_memberships(domainIdentifier=domain.id,
                                                                projectIdentifier=project_id)
    return {m["memberDetails"]["user"]["userId"]: m["designation"] for m in page["members"]}


def user_id(domain: Domain, caller: Caller) -> str:
    return domain.admin.dz.get_user_profile(domainIdentifier=domain.id, userIdentifier=caller.arn)["id"]


def test_creator_becomes_the_project_owner(domain):
    project = new_project(domain)
    assert project["domainId"] == domain.id and project["projectStatus"] == "ACTIVE"
    assert project["createdBy"] == user_id(domain, domain.owner)
    assert members(domain, project["id"]) == {user_id(domain, domain.owner): "PROJECT_OWNER"}
    fetched = domain.owner.dz.get_project(domainIdentifier=domain.id, identifier=project["id"])
    assert fetched["name"] == project["name"] and fetched["createdAt"] == project["createdAt"]


def test_duplicate_project_name_conflicts(domain):
    project = new_project(domain)
    assert error_code(domain.owner.dz.create_project, domainIdentifier=domain.id,
                      name=project["name"]) == "ConflictException"


def test_only_domain_users_create_projects(server, domain):
    assert error_code(server.user().dz.create_project, domainIdentifier=domain.id,
                      name="Intruders") == "ResourceNotFoundException"


def test_non_member_cannot_see_the_project(server, domain):
    project = new_project(domain)
    other = domain.join(server.user())
    assert error_code(other.dz.get_project, domainIdentifier=domain.id,
                      identifier=project["id"]) == "AccessDeniedException"
    assert project["id"] not in [p["id"] for p in other.dz.list_projects(domainIdentifier=domain.id)["items"]]
    assert project["id"] in [p["id"] for p in domain.owner.dz.list_projects(domainIdentifier=domain.id)["items"]]
    assert error_code(other.dz.list_project_memberships, domainIdentifier=domain.id,
                      projectIdentifier=project["id"]) == "AccessDeniedException"


def test_owner_adds_members_and_contributors_cannot(server, domain):
    project = new_project(domain)
    contributor, viewer, newcomer = (domain.join(server.user()) for _ in range(3))
    add(domain, project["id"], contributor, "PROJECT_CONTRIBUTOR")
    add(domain, project["id"], viewer, "PROJECT_CATALOG_VIEWER")
    assert members(domain, project["id"])[user_id(domain, contributor)] == "PROJECT_CONTRIBUTOR"
    assert members(domain, project["id"], viewer)[user_id(domain, viewer)] == "PROJECT_CATALOG_VIEWER"
    with pytest.raises(ClientError) as denied:
        add(domain, project["id"], newcomer, "PROJECT_CONTRIBUTOR", by=contributor)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert user_id(domain, newcomer) not in members(domain, project["id"])
    # Members now see the project.
    assert contributor.dz.get_project(domainIdentifier=domain.id, identifier=project["id"])["id"] == project["id"]


def test_a_member_must_have_a_domain_profile(server, domain):
    project = new_project(domain)
    with pytest.raises(ClientError) as refused:
        add(domain, project["id"], server.user(), "PROJECT_CONTRIBUTOR")
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_contributor_creates_profiles_and_catalog_viewer_cannot(server, domain):
    project = new_project(domain)
    contributor, viewer = domain.join(server.user()), domain.join(server.user())
    add(domain, project["id"], contributor, "PROJECT_CONTRIBUTOR")
    add(domain, project["id"], viewer, "PROJECT_CATALOG_VIEWER")
    profile = contributor.dz.create_environment_profile(
        domainIdentifier=domain.id, name="by-contributor", environmentBlueprintIdentifier=domain.lake_blueprint,
        projectIdentifier=project["id"], awsAccountRegion="us-east-1")
    assert profile["projectId"] == project["id"] and profile["environmentBlueprintId"] == domain.lake_blueprint
    assert error_code(viewer.dz.create_environment_profile, domainIdentifier=domain.id, name="by-viewer",
                      environmentBlueprintIdentifier=domain.lake_blueprint, projectIdentifier=project["id"],
                      awsAccountRegion="us-east-1") == "AccessDeniedException"


def test_the_last_owner_cannot_be_removed(server, domain):
    project = new_project(domain)
    me = {"userIdentifier": domain.owner.arn}
    assert error_code(domain.owner.dz.delete_project_membership, domainIdentifier=domain.id,
                      projectIdentifier=project["id"], member=me) == "ConflictException"
    assert members(domain, project["id"])[user_id(domain, domain.owner)] == "PROJECT_OWNER"
    # Nor demoted to a lesser designation.
    with pytest.raises(ClientError) as demoted:
        add(domain, project["id"], domain.owner, "PROJECT_CONTRIBUTOR")
    assert demoted.value.response["Error"]["Code"] == "ConflictException"
    # With a second owner, the first may leave.
    second = domain.join(server.user())
    add(domain, project["id"], second, "PROJECT_OWNER")
    domain.owner.dz.delete_project_membership(domainIdentifier=domain.id, projectIdentifier=project["id"], member=me)
    assert members(domain, project["id"], second) == {user_id(domain, second): "PROJECT_OWNER"}
    assert error_code(domain.owner.dz.get_project, domainIdentifier=domain.id,
                      identifier=project["id"]) == "AccessDeniedException"


def test_environment_is_provisioned_with_lake_databases_and_a_glue_target(domain):
    project = new_project(domain)
    profile = domain.owner.dz.create_environment_profile(
        domainIdentifier=domain.id, name="lake", environmentBlueprintIdentifier=domain.lake_blueprint,
        projectIdentifier=project["id"], awsAccountRegion="us-east-1")
    created = domain.owner.dz.create_environment(domainIdentifier=domain.id, projectIdentifier=project["id"],
                                                 name="Team Lake", environmentProfileIdentifier=profile["id"])
    assert created["status"] == "CREATING" and created["environmentProfileId"] == profile["id"]
    env = wait_for(lambda: (e := domain.owner.dz.get_environment(domainIdentifier=domain.id, identifier=created["id"]))
                   ["status"] == "ACTIVE" and e)
    names = {r["name"] for r in env["provisionedResources"]}
    assert {"glueProducerDBName", "glueConsumerDBName", "userRoleArn"} <= names
    producer_db, consumer_db = resource(env, "glueProducerDBName"), resource(env, "glueConsumerDBName")
    assert producer_db != consumer_db
    assert env["lastDeployment"]["deploymentStatus"] == "SUCCESSFUL"
    targets = domain.owner.dz.list_subscription_targets(domainIdentifier=domain.id,
                                                        environmentIdentifier=env["id"])["items"]
    assert len(targets) == 1
    target = targets[0]
    assert target["type"] == "GlueSubscriptionTargetType" and target["applicableAssetTypes"] == ["GlueTableAssetType"]
    assert consumer_db in target["subscriptionTargetConfig"][0]["content"]
    listed = domain.owner.dz.list_environments(domainIdentifier=domain.id, projectIdentifier=project["id"])["items"]
    assert [e["id"] for e in listed] == [env["id"]]
    # The databases are real: the environment's workgroup can write to its producer database.
    assert run_sql(domain.owner, env["id"], "CREATE TABLE t AS SELECT 1 AS x")["Status"]["State"] == "SUCCEEDED"


def test_data_warehouse_blueprint_is_refused(domain):
    project = new_project(domain)
    domain.admin.dz.put_environment_blueprint_configuration(
        domainIdentifier=domain.id, environmentBlueprintIdentifier=domain.warehouse_blueprint,
        enabledRegions=["us-east-1"])
    with pytest.raises(ClientError) as refused:
        domain.owner.dz.create_environment(domainIdentifier=domain.id, projectIdentifier=project["id"], name="dw",
                                           environmentBlueprintIdentifier=domain.warehouse_blueprint,
                                           environmentAccountRegion="us-east-1")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "DefaultDataWarehouse" in refused.value.response["Error"]["Message"]
    assert domain.owner.dz.list_environments(domainIdentifier=domain.id, projectIdentifier=project["id"])["items"] == []


def test_a_blueprint_that_is_not_enabled_is_refused(server):
    admin, owner = server.user(admin=True), server.user()
    domain_id = admin.dz.create_domain(name=f"Bare-{uuid.uuid4().hex[:6]}", domainExecutionRole=ROLE)["id"]
    admin.dz.create_user_profile(domainIdentifier=domain_id, userIdentifier=owner.arn)
    lake = owner.dz.list_environment_blueprints(domainIdentifier=domain_id, name="DefaultDataLake")["items"][0]["id"]
    project = owner.dz.create_project(domainIdentifier=domain_id, name="Bare")
    for call, kwargs in ((owner.dz.create_environment_profile, {"name": "p", "environmentBlueprintIdentifier": lake,
                                                                "awsAccountRegion": "us-east-1"}),
                         (owner.dz.create_environment, {"name": "e", "environmentBlueprintIdentifier": lake,
                                                        "environmentAccountRegion": "us-east-1"})):
        with pytest.raises(ClientError) as refused:
            call(domainIdentifier=domain_id, projectIdentifier=project["id"], **kwargs)
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert "PutEnvironmentBlueprintConfiguration" in refused.value.response["Error"]["Message"]
    # Enabled in another region only: still refused for us-east-1.
    admin.dz.put_environment_blueprint_configuration(domainIdentifier=domain_id, environmentBlueprintIdentifier=lake,
                                                     enabledRegions=["eu-west-1"])
    assert error_code(owner.dz.create_environment, domainIdentifier=domain_id, projectIdentifier=project["id"],
                      name="e", environmentBlueprintIdentifier=lake,
                      environmentAccountRegion="us-east-1") == "ValidationException"


def test_an_outsider_cannot_see_the_environment_or_query_in_it(server, domain):
    project = new_project(domain)
    env = environment(domain.owner, domain.id, project["id"], "private_lake")
    outsider = domain.join(server.user())
    assert error_code(outsider.dz.get_environment, domainIdentifier=domain.id,
                      identifier=env["id"]) == "AccessDeniedException"
    assert error_code(outsider.dz.list_subscription_targets, domainIdentifier=domain.id,
                      environmentIdentifier=env["id"]) == "AccessDeniedException"
    with pytest.raises(ClientError) as denied:
        outsider.athena.start_query_execution(QueryString="SELECT 1", WorkGroup=env["id"])
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    # Not even a stranger to the domain.
    assert error_code(server.user().dz.get_environment, domainIdentifier=domain.id,
                      identifier=env["id"]) == "ResourceNotFoundException"
