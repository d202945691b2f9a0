#!/usr/bin/env bash
# Makes sure `moto_server` (moto's server mode, the local stand-in for S3, Firehose and Glue that
# test/aws/*.test.ts spawn on loopback) is on PATH, then does the same for cfn-lint (test/cdk lints the
# synthesized templates with it). Order: already installed -> pip from PyPI -> Debian's apt -> a clear message.
# Idempotent; safe to call from .ci/run on every build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

have() { command -v "$1" >/dev/null 2>&1; }

pip_install() {
  # pyenv and venv Pythons accept a plain install; a Debian system Python needs --user (PEP 668).
  local python
  python="$(command -v python3 || command -v python || true)"
  [ -n "$python" ] || return 1
  "$python" -m pip install --quiet "$@" 2>/dev/null ||
    "$python" -m pip install --quiet --user "$@" 2>/dev/null ||
    "$python" -m pip install --quiet --user --break-system-packages "$@" 2>/dev/null || return 1
  # pyenv needs its shims regenerated before a new console script is on PATH.
  if have pyenv; then pyenv rehash || true; fi
  export PATH="$HOME/.local/bin:$PATH"
}

apt_install() {
  have apt-get || return 1
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  apt-cache show "$1" >/dev/null 2>&1 || return 1
  $sudo apt-get install -y -qq "$1" >/dev/null 2>&1
}

if have moto_server; then
  echo "moto_server: $(command -v moto_server)"
else
  echo "moto_server is missing; trying pip install 'moto[server]'..."
  if pip_install 'moto[server]' && have moto_server; then
    echo "moto_server: installed from PyPI ($(command -v moto_server))"
    case "$(command -v moto_server)" in
      "$HOME/.local/bin/"*) echo "NOTE: add $HOME/.local/bin to PATH so the tests find moto_server." ;;
    esac
  elif apt_install python3-moto && have moto_server; then
    echo "moto_server: installed from Debian's python3-moto ($(command -v moto_server))"
  else
    cat >&2 <<'MSG'
ERROR: moto_server is not installed and could not be installed.
  PyPI was not reachable (pip install 'moto[server]' failed) and this apt source has no python3-moto package.
  The AWS adapter tests (test/aws/*.test.ts) need it. On a machine with PyPI access run:
      python3 -m pip install 'moto[server]'
  (or pipx install 'moto[server]'), make sure `moto_server` is on PATH, and run .ci/run again.
MSG
    exit 1
  fi
fi

bash "$here/cfn-lint.sh"
