#!/usr/bin/env bash
# Builds the Python package once and runs its tests (called by scripts/test.sh).
#
# 1. A venv under build/pyenv with the build requirements (scikit-build-core, pybind11) and pytest
#    from PyPI; `pip install ./bindings/python` into it, with a persistent CMake build directory
#    (build/python/cmake) so later runs only rebuild what changed.
# 2. `pip wheel ./bindings/python` (same build directory, so no second compile), then the wheel
#    is installed into a brand-new venv without network or build tools and the quickstart runs
#    from outside the repository: the wheel is self-contained on this platform.
# 3. pytest tests/python (the shared scenarios, compared with the C++ driver when
#    LOY_CXX_SCENARIO_DRIVER names it).
#
#   scripts/test-python.sh [PYTEST_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
py=${PYTHON:-python3}
venv=build/pyenv
cmake_dir=$root/build/python/cmake
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}

echo "== python: venv and build requirements ($venv)"
[[ -x $venv/bin/python ]] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" "pytest>=7" "mypy>=1.5" "jsonschema>=4.18"

echo "== python: pip install ./bindings/python"
"$venv/bin/python" -m pip install -q --no-build-isolation --force-reinstall --no-deps \
  -C build-dir="$cmake_dir" -C cmake.define.LOY_WERROR=ON ./bindings/python

echo "== python: pip wheel ./bindings/python, installed into a fresh venv"
rm -rf build/python/dist build/pyfresh
"$venv/bin/python" -m pip wheel -q --no-build-isolation --no-deps -w build/python/dist \
  -C build-dir="$cmake_dir" -C cmake.define.LOY_WERROR=ON ./bindings/python
"$py" -m venv build/pyfresh
build/pyfresh/bin/python -m pip install -q --no-index --no-deps build/python/dist/loyalty-*.whl
(cd /tmp && "$root/build/pyfresh/bin/python" "$root/examples/python/01_quickstart.py" >/dev/null)
echo "wheel $(basename build/python/dist/loyalty-*.whl) installs and runs in a fresh venv"

echo "== python: pytest tests/python"
"$venv/bin/python" -m pytest -q tests/python "$@"
