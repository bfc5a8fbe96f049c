"""Configuration: process settings (environment) and the district's files (YAML, GeoJSON).

Owns loading and checking; a config problem stops start-up with file, entry and problem named.
Must not start anything or touch Kafka.
"""

from gridalert.config.errors import ConfigError, ConfigErrors
from gridalert.config.settings import SAMPLE_CONFIG_DIR, Settings

__all__ = ["ConfigError", "ConfigErrors", "SAMPLE_CONFIG_DIR", "Settings"]
