#!/usr/bin/env bash
# Creates moeserve's Kafka topics (names: moe-core io.moeserve.core.wire.Topics). Idempotent: an existing
# topic is kept and grown to the partition count asked for, never shrunk. Runs in the apache/kafka image,
# as the one-shot kafka-init service of docker-compose.yml and as the kafka-topics Job in Kubernetes.
#   BOOTSTRAP            broker list (default kafka:9092)
#   DISPATCH_PARTITIONS  moe.dispatch: one partition per expert instance, so >= the most instances you scale to
#   COMBINE_PARTITIONS   moe.combine: one partition per router replica, so >= the most routers you scale to
#   REPLICATION_FACTOR   optional; the broker's default otherwise
set -euo pipefail
kt=/opt/kafka/bin/kafka-topics.sh
bootstrap="${BOOTSTRAP:-kafka:9092}"
rf=()
[[ -n "${REPLICATION_FACTOR:-}" ]] && rf=(--replication-factor "$REPLICATION_FACTOR")

ensure() {  # ensure TOPIC PARTITIONS [--config k=v ...]
  local topic=$1 partitions=$2
  shift 2
  "$kt" --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$topic" --partitions "$partitions" "${rf[@]}" "$@"
  local have
  have=$("$kt" --bootstrap-server "$bootstrap" --describe --topic "$topic" | grep -c 'Partition: ')
  if (( have < partitions )); then
    "$kt" --bootstrap-server "$bootstrap" --alter --topic "$topic" --partitions "$partitions"
  fi
  echo "topic $topic: $(( have > partitions ? have : partitions )) partitions"
}

# Hidden-state payloads are useless after seconds but can be MBs (a prefill step): keep little, allow big.
hot=(--config retention.ms=600000 --config max.message.bytes=67108864)
ensure moe.dispatch "${DISPATCH_PARTITIONS:-16}" "${hot[@]}"
ensure moe.combine "${COMBINE_PARTITIONS:-8}" "${hot[@]}"
ensure moe.routing-stats 1 --config retention.ms=3600000   # statistics are only useful while fresh
ensure moe.placement 1 --config cleanup.policy=compact
ensure moe.placement-acks 1 --config cleanup.policy=compact
ensure moe.heartbeats 1 --config cleanup.policy=compact
