#!/usr/bin/env bash
# DynamoDB Local (the local twin and the integration tests) needs Java 11 or newer.
# Installs a headless JRE with apt when it is missing and we may; otherwise says what to do.
set -euo pipefail

java_major() {
  java -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }'
}

if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 11 ]; then
  exit 0
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Java 11+ not found: installing default-jre-headless for DynamoDB Local" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null
  exit 0
fi

echo "DynamoDB Local needs Java 11 or newer. Install a JRE (e.g. 'sudo apt-get install default-jre-headless' or 'brew install openjdk') and run again." >&2
exit 1
