"""DataZone's system form types (`amazon.datazone.*FormType`) as Smithy models openzone registers.

Names and fields follow DataZone's documented system forms; the exact member lists of AWS's own
models are not published in full, so optional members beyond the documented ones are openzone's
choice. Fields users search by (names, descriptions, column names) are @searchable; identifiers
such as ARNs use the TECHNICAL mode so that they match exactly.
"""

from __future__ import annotations

from functools import lru_cache

from openzone.catalog.smithy import FormModel, parse_form_model

NAMESPACE = "amazon.datazone"

_HEADER = '$version: "2"\nnamespace amazon.datazone\n'

# Glue and Redshift columns share one shape; each model carries its own copy (models are self-contained).
_COLUMNS = '''
list ColumnList {
    member: Column
}

structure Column {
    @required
    @amazon.datazone#searchable
    columnName: String
    @required
    dataType: String
    @amazon.datazone#searchable
    columnDescription: String
    /// Lake Formation tags on the column: tag key to tag value.
    lakeFormationTags: LakeFormationTagMap
}

map LakeFormationTagMap {
    key: String
    value: String
}
'''

_GLUE_COMMON = '''
    @required
    @amazon.datazone#searchable
    databaseName: String
    @required
    @amazon.datazone#searchable
    tableName: String
    @amazon.datazone#searchable(modes: ["TECHNICAL"])
    tableArn: String
    /// The AWS account id of the Glue Data Catalog.
    catalogId: String
    region: String
    /// The table's format, e.g. parquet, csv, iceberg.
    sourceClassification: String
    /// Where the data lives, e.g. s3://bucket/prefix/.
    sourceLocation: String
    @amazon.datazone#searchable
    tableDescription: String
    columns: ColumnList
    lakeFormationDetails: LakeFormationDetails
'''

_LAKE_FORMATION = '''
structure LakeFormationDetails {
    /// Whether Lake Formation, not IAM alone, governs access to the table.
    lakeFormationManagedTable: Boolean
    lakeFormationTags: LakeFormationTagMap
}
'''

_REDSHIFT_COMMON = '''
    @required
    @amazon.datazone#searchable
    databaseName: String
    @required
    @amazon.datazone#searchable
    schemaName: String
    @required
    @amazon.datazone#searchable
    tableName: String
    @amazon.datazone#searchable
    tableDescription: String
    accountId: String
    region: String
    redshiftStorage: RedshiftStorage
    columns: ColumnList
'''

_REDSHIFT_STORAGE = '''
/// Exactly one of the two sources: a provisioned cluster or a serverless workgroup.
structure RedshiftStorage {
    redshiftClusterSource: RedshiftClusterSource
    redshiftServerlessSource: RedshiftServerlessSource
}

structure RedshiftClusterSource {
    @required
    @amazon.datazone#searchable(modes: ["TECHNICAL"])
    clusterName: String
}

structure RedshiftServerlessSource {
    @required
    @amazon.datazone#searchable(modes: ["TECHNICAL"])
    workgroupName: String
}
'''

SYSTEM_FORM_MODELS: dict[str, str] = {
    "GlueTableFormType": _HEADER + "\n/// An AWS Glue table.\nstructure GlueTableFormType {" + _GLUE_COMMON + "}\n"
    + _LAKE_FORMATION + _COLUMNS,
    "GlueViewFormType": _HEADER + "\n/// An AWS Glue view.\nstructure GlueViewFormType {" + _GLUE_COMMON
    + "    /// The SQL that defines the view.\n    query: String\n}\n" + _LAKE_FORMATION + _COLUMNS,
    "RedshiftTableFormType": _HEADER + "\n/// An Amazon Redshift table.\nstructure RedshiftTableFormType {"
    + _REDSHIFT_COMMON + "}\n" + _REDSHIFT_STORAGE + _COLUMNS,
    "RedshiftViewFormType": _HEADER + "\n/// An Amazon Redshift view.\nstructure RedshiftViewFormType {"
    + _REDSHIFT_COMMON + "    /// The SQL that defines the view.\n    query: String\n}\n" + _REDSHIFT_STORAGE + _COLUMNS,
    "S3ObjectCollectionFormType": _HEADER + '''
/// A collection of objects under a prefix of an Amazon S3 bucket.
structure S3ObjectCollectionFormType {
    @required
    @amazon.datazone#searchable(modes: ["TECHNICAL"])
    @pattern("^arn:[^:]+:s3:::[^/]+$")
    bucketArn: String
    @amazon.datazone#searchable(modes: ["TECHNICAL"])
    prefix: String
    region: String
}
''',
    "ColumnBusinessMetadataFormType": _HEADER + '''
/// Business names, descriptions and glossary terms of an asset's columns.
structure ColumnBusinessMetadataFormType {
    columnsBusinessMetadata: ColumnBusinessMetadataList
}

list ColumnBusinessMetadataList {
    member: ColumnBusinessMetadata
}

structure ColumnBusinessMetadata {
    /// The column's technical name in the table.
    @required
    columnIdentifier: String
    @amazon.datazone#searchable
    name: String
    @amazon.datazone#searchable
    description: String
    /// Ids of glossary terms attached to the column.
    glossaryTerms: GlossaryTermIdList
}

list GlossaryTermIdList {
    member: String
}
''',
    "AssetCommonDetailsFormType": _HEADER + '''
/// Details every asset may carry.
structure AssetCommonDetailsFormType {
    /// The asset's identifier in its source system, e.g. a table ARN.
    @amazon.datazone#searchable(modes: ["TECHNICAL"])
    sourceIdentifier: String
    @amazon.datazone#searchable
    summary: String
    /// Markdown shown on the asset's page.
    @amazon.datazone#searchable
    readMe: String
}
''',
    # Read-only: the system fills it when a data source run creates or updates the asset.
    "DataSourceReferenceFormType": _HEADER + '''
/// The data source (and run) that created or last updated the asset.
structure DataSourceReferenceFormType {
    @required
    @amazon.datazone#searchable(modes: ["TECHNICAL"])
    dataSourceIdentifier: String
    dataSourceRunId: String
}
''',
    # Read-only: the files connector fills it for third-party data (Data Exchange's provider and licence).
    "DataProvenanceFormType": _HEADER + '''
/// Where third-party data comes from and under which terms it may be used.
structure DataProvenanceFormType {
    @amazon.datazone#searchable
    provider: String
    @amazon.datazone#searchable
    licence: String
    /// Where the provider publishes it (a URL or a product id).
    @amazon.datazone#searchable(modes: ["TECHNICAL"])
    source: String
    product: String
}
''',
    # Read-only: generated business names and descriptions (enrichment/predictions.py fills it).
    "SuggestionFormType": _HEADER + '''
/// Generated business names and a description offered for the asset, until accepted or rejected.
structure SuggestionFormType {
    /// SUCCEEDED or FAILED: whether generation ran.
    status: String
    /// What generated the predictions: the built-in generator, or an LLM endpoint refining it.
    generator: String
    suggestions: SuggestionList
}

list SuggestionList {
    member: Suggestion
}

structure Suggestion {
    /// `asset:name`, `asset:description`, or a column name.
    @required
    predictionTarget: String
    /// ASSET_NAME, ASSET_DESCRIPTION or COLUMN_BUSINESS_NAME.
    kind: String
    /// PENDING, ACCEPTED or REJECTED.
    status: String
    columnName: String
    /// The value accepted (a prediction's, or the user's edit when `edited`).
    @amazon.datazone#searchable
    acceptedValue: String
    edited: Boolean
    predictions: PredictionList
}

list PredictionList {
    member: Prediction
}

structure Prediction {
    @required
    predictionChoice: Integer
    @amazon.datazone#searchable
    value: String
    confidence: Double
    /// builtin or llm.
    source: String
    status: String
}
''',
    # openzone's own, used in subscription requests (subscriptions/expiry.py reads it): access until a time.
    "OpenzoneAccessExpiryFormType": _HEADER + '''
/// Time-bound access: the subscription a request leads to is revoked by itself at expiresAt.
structure OpenzoneAccessExpiryFormType {
    /// An ISO-8601 date-time in the future, e.g. 2027-01-31T00:00:00Z (no offset means UTC).
    @required
    @amazon.datazone#searchable(modes: ["TECHNICAL"])
    expiresAt: String
}
''',
    # openzone's own, on an asset (subscriptions/service.py reads it): whether subscribing needs approval.
    "OpenzoneSubscriptionTermsFormType": _HEADER + '''
/// Subscription terms of an asset: with approvalRequired false, requests are accepted as they arrive.
structure OpenzoneSubscriptionTermsFormType {
    @required
    approvalRequired: Boolean
    @amazon.datazone#searchable
    terms: String
}
''',
}

READ_ONLY_FORM_TYPES = frozenset({"DataSourceReferenceFormType", "SuggestionFormType", "DataProvenanceFormType"})


def is_read_only_form(form: dict) -> bool:
    """Whether a formsOutput entry is of a form type only the system fills (shown in readOnlyFormsOutput)."""
    return form.get("typeName", "").removeprefix(NAMESPACE + ".") in READ_ONLY_FORM_TYPES


def form_name(type_name: str) -> str:
    """DataZone's form name for a system form type: `amazon.datazone.GlueTableFormType` -> `GlueTableForm`."""
    return type_name.removeprefix(NAMESPACE + ".").removesuffix("Type")


def system_form_model(type_name: str) -> FormModel:
    """The parsed model of a system form type, by short or `amazon.datazone.`-prefixed name; KeyError if unknown."""
    return _parsed(type_name.removeprefix(NAMESPACE + "."))


@lru_cache
def _parsed(short: str) -> FormModel:
    # Parsed once per process: the models are constants and callers only read them.
    return parse_form_model(short, SYSTEM_FORM_MODELS[short])
