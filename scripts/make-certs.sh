#!/usr/bin/env bash
# Makes a self-signed ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1 in certs/
# (cert.pem, key.pem), unless they exist. Generated keys are never committed (.gitignore).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p certs
if [ -s certs/cert.pem ] && [ -s certs/key.pem ]; then
  exit 0
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
  -subj "/CN=localhost/O=ktls-https demo" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -keyout certs/key.pem -out certs/cert.pem 2>/dev/null
chmod 600 certs/key.pem
echo "certs/cert.pem: $(openssl x509 -in certs/cert.pem -noout -fingerprint -sha256)"
