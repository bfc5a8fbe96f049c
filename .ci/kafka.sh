#!/usr/bin/env bash
# Apache Kafka for the test suite's runs on it (the kafka-* stack of tests/e2e and tests/faults).
#
#   export "$(bash .ci/kafka.sh)"   # sets GRIDALERT_TEST_KAFKA=1
#
# Checks Java 17 and Maven, and resolves the broker's jars from Maven Central into the local
# Maven repository (streams/kafka/pom.xml), so a registry problem shows here, before any test.
# The tests themselves start fresh single-node KRaft brokers (gridalert/streams/apache_kafka.py),
# copying the jars into ~/.cache/gridalert/apache-kafka-<version> once.
# Prints exactly one line on stdout: GRIDALERT_TEST_KAFKA=1. Everything else goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

exec 3>&1 1>&2

log() { echo "kafka.sh: $*"; }
die() { log "error: $*"; exit 1; }

command -v java >/dev/null || die "Apache Kafka needs Java 17: apt-get install openjdk-17-jre-headless"
command -v mvn >/dev/null || die "fetching Apache Kafka needs Maven: apt-get install maven"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' streams/kafka/pom.xml)
log "resolving Apache Kafka $version from Maven Central ($(java -version 2>&1 | head -1))"
mvn -q -B -f streams/kafka/pom.xml dependency:resolve >/dev/null || die "Maven could not resolve Apache Kafka $version"
echo "GRIDALERT_TEST_KAFKA=1" >&3
