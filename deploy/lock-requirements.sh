#!/bin/sh
# Regenerate requirements.lock, the exact versions (with their files' hashes) of every
# runtime dependency that the Docker image installs. Run from the repository root:
#
#   sh deploy/lock-requirements.sh             # add or drop what pyproject.toml changed
#   sh deploy/lock-requirements.sh --upgrade   # move every dependency to its newest version
#
# It resolves in a fresh virtualenv with the image's Python (3.11; PYTHON=... to choose
# another interpreter of that version) and pip-tools, so nothing installed on the machine
# leaks into the lock. Commit the result with the change that needed it.
set -eu
python=${PYTHON:-python3.11}
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "lock-requirements: $python is not Python 3.11 (the image's); set PYTHON" >&2
  exit 1
}
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet pip-tools
CUSTOM_COMPILE_COMMAND="sh deploy/lock-requirements.sh" "$venv/bin/pip-compile" --quiet \
  --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
  --output-file requirements.lock "$@" pyproject.toml
