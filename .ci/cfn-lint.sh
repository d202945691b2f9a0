#!/usr/bin/env bash
# Makes sure `cfn-lint` (the CloudFormation linter test/cdk runs on the synthesized templates) is on PATH:
# already installed -> pip from PyPI -> Debian's apt -> a clear message. Called by .ci/moto.sh.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have cfn-lint; then
  echo "cfn-lint: $(command -v cfn-lint) ($(cfn-lint --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

echo "cfn-lint is missing; trying pip install cfn-lint..."
python="$(command -v python3 || command -v python || true)"
if [ -n "$python" ] && { "$python" -m pip install --quiet cfn-lint 2>/dev/null ||
  "$python" -m pip install --quiet --user cfn-lint 2>/dev/null ||
  "$python" -m pip install --quiet --user --break-system-packages cfn-lint 2>/dev/null; }; then
  if have pyenv; then pyenv rehash || true; fi
  export PATH="$HOME/.local/bin:$PATH"
fi
if ! have cfn-lint && have apt-get; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  if apt-cache show cfn-lint >/dev/null 2>&1; then $sudo apt-get install -y -qq cfn-lint >/dev/null 2>&1 || true; fi
fi
if have cfn-lint; then
  echo "cfn-lint: installed ($(command -v cfn-lint))"
  exit 0
fi
cat >&2 <<'MSG'
ERROR: cfn-lint is not installed and could not be installed (PyPI unreachable, no cfn-lint in apt).
  test/cdk/cfn-lint.test.ts fails without it. On a machine with PyPI access run:
      python3 -m pip install cfn-lint
  make sure `cfn-lint` is on PATH, and run .ci/run again.
MSG
exit 1
