"""CreateSubscriptionTarget, Get, Update, Delete (and List) through boto3 on both backends."""

import pytest
from botocore.exceptions import ClientError

from scenario import build_world

ROLE = "arn:aws:iam::000000000000:role/delivery"


@pytest.fixture(scope="module")
def world(server):
    return build_world(server)


def code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def create(caller, world, name: str, **extra) -> dict:
    return caller.dz.create_subscription_target(
        domainIdentifier=world.domain_id, environmentIdentifier=world.analytics_env["id"], name=name,
        type="SftpSubscriptionTargetType", applicableAssetTypes=["S3ObjectCollectionAssetType"],
        subscriptionTargetConfig=[{"formName": "SftpForm", "content": '{"host": "files.example"}'}],
        authorizedPrincipals=[ROLE], manageAccessRole=ROLE, **extra)


def test_create_get_update_list_delete(world):
    env = world.analytics_env["id"]
    made = create(world.consumer, world, "sftp-drop")
    assert made["subscriptionGrantCreationMode"] == "AUTOMATIC" and made["provider"] == "Custom"
    assert made["projectId"] == world.analytics_id and made["environmentId"] == env
    assert made["applicableAssetTypes"] == ["S3ObjectCollectionAssetType"]
    got = world.consumer.dz.get_subscription_target(domainIdentifier=world.domain_id, environmentIdentifier=env,
                                                    identifier=made["id"])
    assert got["subscriptionTargetConfig"] == [{"formName": "SftpForm", "content": '{"host": "files.example"}'}]
    assert got["authorizedPrincipals"] == [ROLE] and got["manageAccessRole"] == ROLE

    updated = world.consumer.dz.update_subscription_target(
        domainIdentifier=world.domain_id, environmentIdentifier=env, identifier=made["id"], name="sftp-manual",
        subscriptionGrantCreationMode="MANUAL", provider="acme")
    assert (updated["name"], updated["subscriptionGrantCreationMode"], updated["provider"]) == (
        "sftp-manual", "MANUAL", "acme")
    assert updated["type"] == "SftpSubscriptionTargetType" and updated["updatedBy"]
    listed = world.consumer.dz.list_subscription_targets(domainIdentifier=world.domain_id,
                                                         environmentIdentifier=env)["items"]
    assert {t["name"] for t in listed} >= {"sftp-manual", "analytics_lake-glue-target"}

    world.consumer.dz.delete_subscription_target(domainIdentifier=world.domain_id, environmentIdentifier=env,
                                                 identifier=made["id"])
    assert code(world.consumer.dz.get_subscription_target, domainIdentifier=world.domain_id,
                environmentIdentifier=env, identifier=made["id"]) == "ResourceNotFoundException"


def test_bad_input_and_strangers_are_refused(server, world):
    env = world.analytics_env["id"]
    create(world.consumer, world, "taken")
    assert code(create, caller=world.consumer, world=world, name="taken") == "ConflictException"
    assert code(world.consumer.dz.create_subscription_target, domainIdentifier=world.domain_id,
                environmentIdentifier=env, name="no-such-type", type="X", applicableAssetTypes=["NoSuchAssetType"],
                subscriptionTargetConfig=[], authorizedPrincipals=[ROLE], manageAccessRole=ROLE
                ) == "ResourceNotFoundException"
    # The producer is no member of Analytics: it neither sees nor changes its targets.
    assert code(create, caller=world.producer, world=world, name="intruder") in (
        "AccessDeniedException", "ResourceNotFoundException")
    target = world.consumer.dz.list_subscription_targets(domainIdentifier=world.domain_id,
                                                         environmentIdentifier=env)["items"][0]
    assert code(world.producer.dz.update_subscription_target, domainIdentifier=world.domain_id,
                environmentIdentifier=env, identifier=target["id"], name="mine") in (
        "AccessDeniedException", "ResourceNotFoundException")
    # A target of another environment is not found through this one.
    assert code(world.producer.dz.get_subscription_target, domainIdentifier=world.domain_id,
                environmentIdentifier=world.sales_env["id"], identifier=target["id"]) == "ResourceNotFoundException"
