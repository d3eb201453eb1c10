# segpack — the only commands a newcomer needs:
#   make demo   install what is missing, build, run the fragment-fusion demo
#               (make demo-remote: its stage 2 again over nginx and moto's S3 on 127.0.0.1)
#   make test   install what is missing, check formatting (make lint), build, run ctest (Release, then
#               ASan+UBSan with libFuzzer runs), pytest, and the peers' own
#               test suites against segpack (make test-peers)
#   make bench  side-by-side benchmarks against the peer packages
#   make lint   clang-format and ruff checks (make format applies them)
SHELL := /bin/bash
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JOBS ?= $(shell nproc)
STAMPS := .stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := build-essential pkg-config cmake ninja-build \
  libzstd-dev libdeflate-dev libbrotli-dev liblzma-dev zlib1g-dev libisal-dev \
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev clang-format python3-venv \
  nginx
CMAKE_GEN := -G Ninja

.PHONY: demo demo-remote test deps venv build-cpp build-sanitize build-py test-cpp test-sanitize test-py test-peers bench stubs \
  lint lint-py lint-cpp format clean

# ---- set-up ---------------------------------------------------------------
deps: $(STAMPS)/deps
$(STAMPS)/deps: Makefile
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@mkdir -p $(STAMPS) && touch $@

venv: $(STAMPS)/venv
$(STAMPS)/venv: requirements-dev.txt | $(STAMPS)/deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

# ---- builds ---------------------------------------------------------------
build-cpp: deps
	cmake -S . -B build/cpp $(CMAKE_GEN) -DSEGPACK_DEVELOPER_MODE=ON -DCMAKE_BUILD_TYPE=Release
	cmake --build build/cpp -j $(JOBS)

# clang, AddressSanitizer + UBSan, libFuzzer targets.
build-sanitize: deps
	CC=clang CXX=clang++ cmake -S . -B build/sanitize $(CMAKE_GEN) -DSEGPACK_DEVELOPER_MODE=ON \
	  -DSEGPACK_SANITIZE=ON -DSEGPACK_LIBFUZZER=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build/sanitize -j $(JOBS)

build-py: venv
	$(PY) -m pip install -q --no-build-isolation --no-deps .

# ---- what people run -----------------------------------------------------
test-cpp: build-cpp
	ctest --test-dir build/cpp --output-on-failure -j $(JOBS)

test-sanitize: build-sanitize
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build/sanitize --output-on-failure -j $(JOBS)

test-py: build-py
	$(PY) -m pytest -q tests/python

# mapbuffer's and python-zstandard's own tests, fetched into build/peers/ and run
# through shims that re-export segpack's classes under the peers' names; the
# expected failures are listed in tests/peers/differences.toml (strict xfail).
test-peers: build-py
	$(PY) tests/peers/run.py

test: lint test-cpp test-sanitize test-py test-peers

demo: build-py
	$(PY) demo/fragment_fusion.py $(ARGS)

# Stage 2 of the demo again over HTTP (nginx) and S3 (moto's server), both on 127.0.0.1;
# ARGS="--delay-ms 20" adds an object store's time to first byte through a local proxy.
demo-remote: build-py
	$(PY) demo/fragment_fusion.py --remote $(ARGS)

bench: build-py build-cpp
	$(PY) bench/bench_mapbuffer.py
	$(PY) bench/bench_segments.py
	$(PY) bench/bench_codecs.py
	$(PY) bench/bench_chunking.py
	$(PY) bench/bench_objects.py
	$(PY) bench/bench_remote.py
	build/cpp/bench/crc32c_bench --benchmark_min_time=0.2
	build/cpp/bench/mapbuffer_bench --benchmark_min_time=0.3
	build/cpp/bench/batch_bench --benchmark_min_time=0.2

# Regenerates the committed type stubs of the extension (nanobind's stubgen;
# python/stubgen_patterns.txt adds what the bindings' signatures cannot say);
# tests/python/test_stubs.py fails while they are stale.
stubs: build-py
	$(PY) -m nanobind.stubgen -m segpack._core -p python/stubgen_patterns.txt -o python/segpack/_core.pyi

# ---- formatting: .clang-format and [tool.ruff] in pyproject.toml -----------
CXX_FILES = $(shell find include src python/src tests/cpp bench fuzz -type f \( -name '*.h' -o -name '*.cc' \) | sort)

lint: lint-py lint-cpp

lint-py: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

lint-cpp: deps
	clang-format --dry-run --Werror $(CXX_FILES)

# Rewrites the files in place to the checked style.
format: venv deps
	clang-format -i $(CXX_FILES)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf build $(STAMPS) $(VENV)
