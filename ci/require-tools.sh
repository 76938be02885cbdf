#!/usr/bin/env bash
# Stops early, with one line saying what to install, if a build tool is missing.
missing=()
for tool in java mvn cmake g++; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: missing build tools: ${missing[*]} (Debian/Ubuntu: apt-get install -y openjdk-17-jdk maven cmake g++)" >&2
  exit 1
fi
if [ ! -d ../shared/models ]; then
  echo "error: ../shared (models and reference data) is missing beside the checkout; the tests read it" >&2
  exit 1
fi
