#!/usr/bin/env bash
# Builds the playground and serves it on http://127.0.0.1:8080 (the default scenario
# opens on its own). Installs what is missing first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
setup_web
check_tool_pins
cd "$ROOT"
exec trunk serve --release "$@"
