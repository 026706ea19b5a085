# Sourced by scripts/start and scripts/test: make sure .venv exists with the project installed.
# Usage: source scripts/_venv.sh [dev]
_extra="${1:-}"
_py=""
for candidate in python3.11 python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    _py="$candidate"; break
  fi
done
if [ -z "$_py" ]; then echo "Notify Console needs Python 3.11 or newer on PATH." >&2; exit 1; fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($_py --version)…"
  "$_py" -m venv .venv
fi
_spec="."; [ -n "$_extra" ] && _spec=".[$_extra]"
_stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${_extra:-base}"
if [ ! -f "$_stamp" ]; then
  echo "Installing Notify Console ($_spec) into .venv…"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$_spec"
  touch "$_stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
