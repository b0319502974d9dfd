"""One Settings object for the whole process, read from OPENZONE_* environment variables."""

from functools import cached_property
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can configure; defaults give the embedded laptop setup."""

    model_config = SettingsConfigDict(env_prefix="OPENZONE_", extra="ignore")

    data_dir: Path = Path(".openzone")
    database_url: str | None = None
    lake_catalog_url: str | None = None
    account_id: str = "000000000000"
    region: str = "us-east-1"
    host: str = "127.0.0.1"
    port: int = 8000
    # SigV4 requests older or newer than this are refused, as AWS does.
    clock_skew_seconds: int = 900
    # How long a verified access key (and its user) is reused without reading the database again; a
    # deactivated key or a changed user takes effect within this time. 0 reads them on every request.
    credential_cache_seconds: float = 5.0
    run_workers: bool = True
    worker_poll_seconds: float = 0.5
    query_timeout_seconds: float = 300.0
    query_memory_limit: str = "2GB"
    query_threads: int = 2
    query_concurrency: int = 4
    # Finished results kept in memory for GetQueryResults paging (Arrow bytes; the files stay the truth).
    query_result_cache_bytes: int = 64 * 1024 * 1024
    # GetQueryExecution on an unfinished query waits up to this long for it to finish (long poll): a client
    # learns at once that a query of up to this long ended, and polls less (each poll takes CPU from queries).
    query_status_wait_seconds: float = 1.0
    # Business-name predictions: an optional OpenAI-compatible endpoint (base URL, e.g. http://127.0.0.1:11434,
    # or a full .../v1/chat/completions URL) that refines the built-in generator's names. Unset: built-in only.
    predictions_llm_url: str | None = None
    predictions_llm_model: str | None = None
    predictions_llm_api_key: SecretStr | None = None
    # The call runs inside CreateAsset; past this the built-in names are used.
    predictions_llm_timeout_seconds: float = 10.0
    # Data sources reading a real AWS Glue Data Catalog: its endpoint (unset: AWS's own; a moto server in tests).
    glue_endpoint_url: str | None = None
    # The local folder file data sources read (named s3://openzone_files/<folder> on the wire); default <data dir>/files.
    sources_files_root: Path | None = None
    # Tables a data source run imports per transaction (bigger: faster; a crash re-imports at most one chunk).
    sources_chunk_size: int = 500
    # How often the scheduler looks for data sources whose cron schedule is due.
    scheduler_poll_seconds: float = 15.0
    # The PostgreSQL database DefaultDataWarehouse environments live in (Amazon Redshift's open counterpart),
    # as a superuser URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/warehouse. Unset: no warehouse.
    warehouse_url: str | None = None
    # The event bus: how often the dispatcher looks for new events when not woken, how many deliveries run
    # at once, and the retry schedule of a failing target (exponential from base to max between attempts;
    # EventBridge's defaults: 185 attempts within 24 hours; a target's RetryPolicy may lower both).
    events_poll_seconds: float = 0.5
    events_dispatch_threads: int = 8
    events_retry_base_seconds: float = 1.0
    events_retry_max_seconds: float = 300.0
    events_max_attempts: int = 185
    events_max_age_seconds: int = 86400
    events_webhook_timeout_seconds: float = 10.0
    # Delivered deliveries are kept this long for redelivery by event id, then pruned hourly (0: kept for
    # ever). Dead letters and the events themselves (the outbox, from which the audit trail is rebuilt) stay.
    events_delivered_retention_seconds: int = 7 * 86400
    # How often the reconciler compares every grant with the engines and repairs drift (0: never by itself).
    reconcile_interval_seconds: float = 300.0

    @cached_property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def metadata_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_path / 'openzone.db'}"

    @property
    def lake_url(self) -> str:
        return self.lake_catalog_url or f"sqlite:///{self.data_path / 'lake' / 'catalog.db'}"

    @property
    def files_root(self) -> Path:
        return (self.sources_files_root or self.data_path / "files").expanduser().resolve()

    @property
    def warehouse_dir(self) -> Path:
        return self.data_path / "lake" / "warehouse"

    @property
    def extension_dir(self) -> Path:
        return self.data_path / "duckdb_extensions"

    @property
    def query_results_dir(self) -> Path:
        return self.data_path / "query-results"

    def ensure_dirs(self) -> None:
        """Create the data directory tree the embedded components write into."""
        for path in (self.data_path, self.warehouse_dir, self.extension_dir, self.query_results_dir):
            path.mkdir(parents=True, exist_ok=True)
