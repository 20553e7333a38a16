#!/usr/bin/env bash
# Rebuild the browser bundles (tangguh/bids/static/bids/*.js) from frontend/src with the
# exact versions in frontend/package-lock.json. The bundles are committed, so running the
# node or the tests needs no Node.js; run this after changing frontend/src.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
npm ci --no-audit --no-fund
npm run build
