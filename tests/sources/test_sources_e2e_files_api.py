"""AWS Glue and files sources end to end through boto3 (server -> worker -> assets): a Glue Data Catalog and S3
on a moto server, and a folder under the server's files root. Database sources: test_sources_e2e_api.py."""

import io
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scenario import build_world
from sources.connectors.moto_server import REGION, moto_server, unique  # noqa: F401
from sources.e2e import Expected, create_connection, create_source, forms_of, import_then_change

from openzone.db.session import session_scope
from openzone.sources import secrets

ACCOUNT = "123456789012"  # moto's account id
PROVENANCE = {"provider": "Open Weather Ltd", "licence": "CC-BY-4.0"}


@pytest.fixture(scope="module")
def world(server):
    return build_world(server)


def aws_configuration(server, moto_server) -> list[dict]:
    """The `aws` configuration of a connection to the moto server, its keys in a secret made by the operator."""
    with session_scope(server.settings.metadata_url) as session:
        arn = secrets.create_secret(session, server.settings, unique("moto-keys"), "testing", "testing").arn
    return [{"classification": "aws", "properties": {"endpointUrl": moto_server.endpoint_url, "secretArn": arn}}]


def glue_table(client, database, name, columns, **table_input):
    return {"Name": name, "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in columns],
                                                "Location": f"s3://lake/{database}/{name}/"}, **table_input}


def test_an_aws_glue_catalog(server, world, moto_server):
    client = moto_server.client("glue")
    database = unique("sales")
    client.create_database(DatabaseInput={"Name": database})
    parquet = {"TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"}}
    client.create_table(DatabaseName=database, TableInput=glue_table(
        client, database, "orders", [("order_id", "bigint"), ("total", "double")], Description="every order",
        **parquet))
    client.create_table(DatabaseName=database, TableInput=glue_table(
        client, database, "customers", [("customer_id", "bigint"), ("name", "string")], **parquet))
    client.create_table(DatabaseName=database, TableInput=glue_table(
        client, database, "returns", [("order_id", "bigint"), ("reason", "string")], **parquet))
    client.create_table(DatabaseName=database, TableInput=glue_table(
        client, database, "big_orders", [("order_id", "bigint")], TableType="VIRTUAL_VIEW",
        ViewOriginalText="SELECT order_id FROM orders WHERE total > 1000"))
    connection = create_connection(world, unique("glue"), {"iamProperties": {}},
                                   awsLocation={"awsAccountId": ACCOUNT, "awsRegion": REGION},
                                   configurations=aws_configuration(server, moto_server))
    source = create_source(world, "glue", "GLUE", connection["connectionId"], {"glueRunConfiguration": {
        "relationalFilterConfigurations": [{"databaseName": database}]}})

    def change():
        client.update_table(DatabaseName=database, TableInput=glue_table(
            client, database, "orders", [("order_id", "bigint"), ("total", "double"), ("currency", "string")],
            Description="every order", **parquet))
        client.delete_table(DatabaseName=database, Name="returns")

    assets = import_then_change(world, source, {
        "orders": Expected("GlueTableAssetType", "GlueTableForm", ["order_id", "total"]),
        "customers": Expected("GlueTableAssetType", "GlueTableForm", ["customer_id", "name"]),
        "returns": Expected("GlueTableAssetType", "GlueTableForm", ["order_id", "reason"]),
        "big_orders": Expected("GlueViewAssetType", "GlueViewForm", ["order_id"]),
    }, change, changed="orders", new_column="currency", dropped="returns")
    orders = forms_of(assets["orders"])["GlueTableForm"]
    arn = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{database}/orders"
    assert orders["tableArn"] == arn and assets["orders"]["externalIdentifier"] == arn
    assert (orders["catalogId"], orders["sourceClassification"]) == (ACCOUNT, "parquet")
    assert orders["sourceLocation"] == f"s3://lake/{database}/orders/"
    assert forms_of(assets["big_orders"])["GlueViewForm"]["query"] == "SELECT order_id FROM orders WHERE total > 1000"


def parquet_bytes(**columns) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


# A Parquet table, a Hive-partitioned CSV table and a single-file CSV table; the litter a writer leaves is no table.
FOLDER = {
    "orders/part-0.parquet": parquet_bytes(order_id=[1, 2], total=[9.5, 20.0]),
    "orders/_SUCCESS": b"",
    "visits/day=2024-03-01/part-0.csv": b"visit_id,page\n1,/\n2,/shop\n",
    "visits/day=2024-03-02/part-0.csv": b"visit_id,page\n3,/about\n",
    "countries.csv": b"code,name\nFR,France\nDE,Germany\n",
}
FILES_EXPECTED = {
    "orders": Expected("GlueTableAssetType", "GlueTableForm", ["order_id", "total"]),
    "visits": Expected("GlueTableAssetType", "GlueTableForm", ["visit_id", "page", "day"]),
    "countries": Expected("GlueTableAssetType", "GlueTableForm", ["code", "name"]),
}
# orders gains a column, countries is deleted.
NEW_ORDERS = ("orders/part-0.parquet", parquet_bytes(order_id=[1, 2], total=[9.5, 20.0], currency=["EUR", "USD"]))
GONE = "countries.csv"


def check_files_assets(assets, database, location_prefix):
    visits = forms_of(assets["visits"])["GlueTableForm"]
    assert (visits["databaseName"], visits["sourceClassification"]) == (database, "csv")
    assert visits["sourceLocation"].rstrip("/") == f"{location_prefix}/visits"
    day = next(c for c in visits["columns"] if c["columnName"] == "day")
    assert day["dataType"] == "date"
    assert forms_of(assets["orders"])["GlueTableForm"]["sourceClassification"] == "parquet"
    for asset in assets.values():
        assert forms_of(asset)["DataProvenanceForm"] == PROVENANCE, asset["name"]


def test_a_folder_under_the_servers_files_root(server, world):
    folder = unique("landing")
    root = server.settings.files_root / folder
    for relative, content in FOLDER.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    connection = create_connection(world, folder, {"s3Properties": {"s3Uri": f"s3://openzone_files/{folder}"}},
                                   configurations=[{"classification": "files", "properties": PROVENANCE}])
    assert connection["type"] == "S3"
    source = create_source(world, folder, "GLUE", connection["connectionId"], {"glueRunConfiguration": {
        "relationalFilterConfigurations": [{"databaseName": folder}]}})

    def change():
        (root / NEW_ORDERS[0]).write_bytes(NEW_ORDERS[1])
        (root / GONE).unlink()

    assets = import_then_change(world, source, FILES_EXPECTED, change, changed="orders", new_column="currency",
                                dropped="countries")
    check_files_assets(assets, folder, str(root))


def test_files_on_s3(server, world, moto_server):
    s3 = moto_server.client("s3")
    bucket = unique("landing")
    s3.create_bucket(Bucket=bucket)
    for relative, content in FOLDER.items():
        s3.put_object(Bucket=bucket, Key=f"raw/weather/{relative}", Body=content)
    connection = create_connection(world, unique("s3"), {"s3Properties": {"s3Uri": f"s3://{bucket}/raw/weather"}},
                                   configurations=[*aws_configuration(server, moto_server),
                                                   {"classification": "files", "properties": PROVENANCE}])
    source = create_source(world, f"s3-{uuid.uuid4().hex[:6]}", "GLUE", connection["connectionId"], {
        "glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": "weather"}]}})

    def change():
        s3.put_object(Bucket=bucket, Key=f"raw/weather/{NEW_ORDERS[0]}", Body=NEW_ORDERS[1])
        s3.delete_object(Bucket=bucket, Key=f"raw/weather/{GONE}")

    assets = import_then_change(world, source, FILES_EXPECTED, change, changed="orders", new_column="currency",
                                dropped="countries")
    check_files_assets(assets, "weather", f"s3://{bucket}/raw/weather")
