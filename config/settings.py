"""Process settings from the environment (prefix ``GRIDALERT_``); the district itself is in files.

Settings say *where* things run (broker, database, config directory, ports); the configuration
directory says *what* the district is (grids, roster, policies, devices).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SAMPLE_CONFIG_DIR = Path(__file__).resolve().parent / "sample"


class Settings(BaseSettings):
    """Everything a process needs to find its peers.

    With no ``broker`` the runner starts the embedded broker; with no ``database_url`` the
    projection is an SQLite file under ``data_dir``.
    """

    model_config = SettingsConfigDict(env_prefix="GRIDALERT_", extra="ignore")

    broker: Optional[str] = Field(
        default=None, description="kafka://host:port[,host:port]; empty starts the embedded broker"
    )
    database_url: Optional[str] = Field(default=None, description="SQLAlchemy URL of the projection")
    config_dir: Path = Field(default=SAMPLE_CONFIG_DIR, description="directory of grids/roster/policies")
    data_dir: Path = Field(default=Path(".gridalert"), description="SQLite file, process logs, link secret, faust directory")
    app_id: str = Field(default="gridalert", description="Faust app id: consumer group and table prefix")
    partitions: int = Field(default=4, ge=1, description="partitions of every gridalert topic")
    embedded_broker: Literal["tansu", "kafka"] = Field(
        default="tansu", description="broker `gridalert run` starts when no GRIDALERT_BROKER is set: tansu "
        "(in memory; Faust and kafka-python clients) or kafka (Apache Kafka from Maven Central, kept in "
        "DATA_DIR; every Kafka client, librdkafka too; needs Java 17 and Maven)")
    broker_port: int = Field(default=0, ge=0, le=65535, description="embedded broker port; 0 picks one")
    inbox_port: int = Field(default=8025, ge=0, le=65535, description="port of the demo inbox")
    web_port: int = Field(default=8030, ge=0, le=65535, description="port of the web app: dashboard, API, Open311, accept links")
    public_url: Optional[str] = Field(default=None, description="base URL of the web app as phones reach it")
    link_secret: Optional[SecretStr] = Field(default=None, description="HMAC key of accept links")
    link_margin_s: float = Field(default=1800.0, ge=0, description="accept links expire this long after the step's deadline")
    rebalance_timeout_s: float = Field(default=5.0, gt=0, description="consumer-group rebalance timeout")
    session_timeout_s: float = Field(default=10.0, gt=0, description="consumer-group session timeout")
    commit_interval_s: float = Field(default=2.8, gt=0, description="how often a worker commits the offsets of "
                                     "what it has handled (faust's default); a restart handles again at most this much")
    intake_batch: int = Field(default=500, ge=1, description="most events the intake validates and locates "
                              "as one batch")
    intake_wait_ms: float = Field(default=5.0, ge=0, description="longest a batch waits for more events "
                                  "before it is handled (the latency batching may add)")
    log_level: str = Field(default="info")
    log_format: Literal["text", "json"] = Field(default="text", description="text for people; json: one object a line")
    metrics_host: str = Field(default="127.0.0.1", description="address of the worker's /health, /ready, /metrics")
    metrics_port: int = Field(default=8040, ge=0, le=65535, description="port of the worker's /health, /ready, "
                              "/metrics; 0 picks a free one")

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, value: Optional[str]) -> Optional[str]:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if "://" not in value:
            value = f"kafka://{value}"
        if not value.startswith("kafka://"):
            raise ValueError(f"GRIDALERT_BROKER must look like kafka://host:port, got {value!r}")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: Optional[str]) -> Optional[str]:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value

    @property
    def effective_public_url(self) -> str:
        """Where phones reach the web app: ``GRIDALERT_PUBLIC_URL``, else the loopback web port."""
        return self.public_url or f"http://127.0.0.1:{self.web_port}"

    @property
    def bootstrap_servers(self) -> list[str]:
        """The broker as kafka-python wants it: ``["host:port", ...]``."""
        if self.broker is None:
            raise RuntimeError("no broker configured yet (the embedded one is not started)")
        return [part.strip() for part in self.broker.removeprefix("kafka://").split(",") if part.strip()]

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'gridalert.db').resolve()}"
