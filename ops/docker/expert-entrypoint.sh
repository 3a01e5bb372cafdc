#!/usr/bin/env bash
# Entrypoint of the expert-service image: gives the replica its identity, then runs the service.
#
# An instance needs an id (expert-N, as placement plans name instances) and its own moe.dispatch
# partition. Kubernetes sets both from the StatefulSet ordinal (MOESERVE_EXPERT_INSTANCE_ID,
# MOESERVE_EXPERT_PARTITION). `docker compose --scale` gives replicas no index, only distinct
# container names (<project>-expert-service-<n>); with MOESERVE_EXPERT_IDENTITY=compose the replica
# asks Docker's DNS for the name of its own address (a PTR lookup) and takes n-1: instance expert-<n-1>
# on partition n-1. A container keeps its name across restarts, so the identity is stable.
set -euo pipefail

# "moeserve-expert-service-3.moeserve_default." -> 2 (compose v1 names end in _3)
replica_index() {
  local name="${1%%.*}"
  [[ "$name" =~ [-_]([0-9]+)$ ]] || return 1
  echo $((10#${BASH_REMATCH[1]} - 1))
}

if [[ "${1:-}" == "--replica-index" ]]; then
  replica_index "${2:-}"
  exit
fi

if [[ "${MOESERVE_EXPERT_IDENTITY:-}" == "compose" && -z "${MOESERVE_EXPERT_INSTANCE_ID:-}" ]]; then
  ip="$(getent hosts "$HOSTNAME" | awk '{print $1; exit}')"
  name=""
  for _ in $(seq 1 30); do  # the embedded DNS may need a moment after the container starts
    name="$(dig +short +time=1 +tries=1 -x "$ip" | head -n 1 || true)"
    [[ -n "$name" ]] && break
    sleep 1
  done
  if ! index="$(replica_index "$name")"; then
    echo "expert-service: cannot tell the replica index of $ip from its DNS name '$name';" \
      "set MOESERVE_EXPERT_INSTANCE_ID and MOESERVE_EXPERT_PARTITION instead" >&2
    exit 1
  fi
  export MOESERVE_EXPERT_INSTANCE_ID="expert-$index" MOESERVE_EXPERT_PARTITION="$index"
  echo "expert-service: container $name is instance $MOESERVE_EXPERT_INSTANCE_ID on partition $MOESERVE_EXPERT_PARTITION" >&2
fi

# Extra JVM flags go in JDK_JAVA_OPTIONS (read by the java launcher itself).
exec java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:MaxRAMPercentage=75 \
  org.springframework.boot.loader.launch.JarLauncher "$@"
