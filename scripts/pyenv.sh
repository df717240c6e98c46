#!/usr/bin/env bash
# Makes build/pyenv ready for the reference server: the `loyalty` package built from this
# checkout (only when a source file is newer than the installed module, or it is missing), the
# server's pinned requirements (server-example/requirements.txt, psycopg for PostgreSQL included)
# and the django_loyalty app.
# Used by scripts/serve.sh and scripts/test-server.sh; idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
py=${PYTHON:-python3}
venv=build/pyenv
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}

[[ -x $venv/bin/python ]] || "$py" -m venv "$venv"
native=$("$venv/bin/python" -c 'import loyalty._native as n; print(n.__file__)' 2>/dev/null || true)
if [[ -z $native ]] || [[ -n $(find src include capi bindings/python cmake CMakeLists.txt VERSION -newer "$native" \
      -type f -print -quit 2>/dev/null) ]]; then
  echo "== pyenv: building the loyalty package (pip install ./bindings/python)"
  "$venv/bin/python" -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12"
  "$venv/bin/python" -m pip install -q --no-build-isolation --force-reinstall --no-deps \
    -C build-dir="$root/build/python/cmake" ./bindings/python
fi

stamp=$venv/.server-requirements
if ! cmp -s server-example/requirements.txt "$stamp" 2>/dev/null; then
  echo "== pyenv: installing the server's requirements"
  "$venv/bin/python" -m pip install -q -r server-example/requirements.txt
  "$venv/bin/python" -m pip install -q --no-deps -e ./server-example
  cp server-example/requirements.txt "$stamp"
fi
