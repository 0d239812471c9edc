# plateau's front door. The C++ build itself is described in CMakeLists.txt; this file strings the
# steps together. Every target is idempotent: a second run does little work.
#
#   make demo    build, fetch the models and run the OCR pipeline on a sample receipt
#   make test    everything CI checks: unit tests and golden tests against ONNX Runtime
#   make eval    accuracy, speed and peak RSS on the SROIE receipts, side by side with the ONNX Runtime
#                OCR pipeline (@gutenye/ocr-node) and Tesseract 5, and why lines were misread

SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
TSAN_DIR ?= build-tsan
# Seconds each fuzz target runs in `make fuzz`.
FUZZ_SECONDS ?= 600
BUILD_TYPE ?= Release
EVAL_DIR ?= ../shared/eval
# The golden tests also run under the sanitizers (about a minute) when `make goldens` has prepared their
# data in BUILD_DIR; `make asan-test ASAN_GOLDENS=0` leaves them out.
ASAN_GOLDENS ?= 1
# Tests whose assertions are RSS figures (or memory limits set from RSS) measure glibc's allocator, which
# the sanitizers replace with their own (quarantined, never returned); they run in `make test` only.
ASAN_EXCLUDE ?= PipelineMemoryTest.*:MemoryBudgetTest.*:OcrServerTest.MemoryIsFlatOverAThousandRequests:OcrServerTest.MemoryLimit*

.PHONY: all deps build models ort goldens test asan-test demo bench-engine bench-memory bench-server eval \
  format format-check tidy fuzz tsan-test clean distclean install python bench-queue bench-dask

all: build

deps:
	scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

models:
	scripts/fetch-models.sh

ort:
	scripts/setup-ort.sh

goldens: models ort build
	PLATEAU_BUILD_DIR=$(abspath $(BUILD_DIR)) PLATEAU_EVAL_DIR=$(abspath $(EVAL_DIR)) scripts/make-goldens.sh

test: deps models ort build goldens
	ctest --test-dir $(BUILD_DIR) --output-on-failure

$(ASAN_DIR)/CMakeCache.txt:
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DPLATEAU_SANITIZE=ON

asan-test: deps models $(ASAN_DIR)/CMakeCache.txt
	cmake --build $(ASAN_DIR) -j $(JOBS) --target plateau_tests
	OMP_NUM_THREADS=2 LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	  PLATEAU_GOLDENS_DIR=$(abspath $(BUILD_DIR))/goldens $(ASAN_DIR)/plateau_tests \
	  --gtest_filter='-$(ASAN_EXCLUDE)$(if $(filter 1,$(ASAN_GOLDENS)),,:PpOcrV4/GoldenTest.*)'

# ThreadSanitizer over the tests whose code shares state between threads: the worker pool, the HTTP
# server, Fork, PredictParallel's ordered workers, sessions (whose plans create kernels on helper
# threads) and the weights shared by kernels.
# The RSS tests are left out as under ASan, and so is a single-threaded heap test that takes minutes
# under TSan. tests/tsan.supp says why each suppression is there.
TSAN_TESTS ?= WorkerPoolTest.*:OcrServerTest.*:OcrPipelineTest.Fork*:OrderedWorkersTest.*:OcrPipelineTest.PredictParallel*:SessionTest.*:OnednnConvTest.PackedWeightsAreSharedAcrossKernels
TSAN_EXCLUDE ?= $(ASAN_EXCLUDE):SessionTest.SteadyStateOneDnnRunsDoNotGrowTheHeap
$(TSAN_DIR)/CMakeCache.txt:
	cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLATEAU_TSAN=ON

tsan-test: deps models $(TSAN_DIR)/CMakeCache.txt
	cmake --build $(TSAN_DIR) -j $(JOBS) --target plateau_tests
	OMP_NUM_THREADS=2 TSAN_OPTIONS="suppressions=$(abspath tests/tsan.supp) halt_on_error=1 second_deadlock_stack=1" \
	  $(TSAN_DIR)/plateau_tests --gtest_filter='$(TSAN_TESTS)-$(TSAN_EXCLUDE)'

# libFuzzer (clang) on each parser of untrusted bytes, FUZZ_SECONDS each (scripts/fuzz.sh; FUZZ_TARGETS
# picks some). Seed corpora are made from EVAL_DIR into FUZZ_DIR; a crash fails the run.
fuzz: deps models
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) EVAL_DIR=$(EVAL_DIR) JOBS=$(JOBS) scripts/fuzz.sh

# The main job on a sample: the OCR pipeline (detection, textline orientation, recognition) on a receipt,
# one JSON line per input; --save_path also writes the JSON file.
demo: deps models build
	@mkdir -p $(BUILD_DIR)/demo
	$(BUILD_DIR)/plateau ocr -i $(EVAL_DIR)/sroie/img/000.jpg --save_path $(BUILD_DIR)/demo
	@echo "demo: result written to $(BUILD_DIR)/demo/000_res.json"

# The C++ package: the plateau binary, libplateau.so, include/plateau/, pkg-config and CMake package files
# and the models (share/plateau/models), under PREFIX.
PREFIX ?= /usr/local
install: models build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# The Python package (python/) for Debian's python3, installed system-wide (/usr/local): every venv made
# with --system-site-packages sees it. Into a venv of your own: pip install --no-build-isolation ./python
# (pip builds the extension and the library it needs, in BUILD_DIR.)
python: deps models
	PLATEAU_BUILD_DIR=$(abspath $(BUILD_DIR)) CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) \
	  /usr/bin/python3 -m pip install --no-build-isolation \
	  --no-deps --no-index --break-system-packages ./python

bench-engine: models ort build
	PLATEAU_BUILD_DIR=$(abspath $(BUILD_DIR)) tools/bench_engine.sh

# plateau's OCR pipeline on the SROIE receipts: first each engine alone, one after another, at 2 threads
# (plateau with and without textline orientation, the ONNX Runtime pipeline @gutenye/ocr-node, Tesseract
# 5), then plateau and Tesseract interleaved (text), then rotated pages (orientation). Prints markdown
# tables and writes BUILD_DIR/eval.json, each engine's raw results to BUILD_DIR/eval/ and every label
# line's error category to BUILD_DIR/eval/categories.tsv. The ONNX Runtime pipeline is installed by
# tools/bench_memory/setup.sh (shared with bench-memory). Quick run: make eval EVAL_ARGS="--limit 10".
EVAL_ARGS ?=
eval: deps models build
	tools/bench_memory/setup.sh
	@mkdir -p $(BUILD_DIR)/eval
	$(BUILD_DIR)/plateau_eval --eval $(EVAL_DIR) --model_dir models --json $(BUILD_DIR)/eval.json \
	  --pass_dir $(BUILD_DIR)/eval --categories $(BUILD_DIR)/eval/categories.tsv $(EVAL_ARGS)

# Memory: plateau and ONNX Runtime (@gutenye/ocr-node) over the same rescaled receipts, side by side;
# RUNS=1000 INPUTS=200 THREADS=2 by default (see tools/bench_memory/run.sh).
bench-memory: models build
	PLATEAU_BUILD_DIR=$(abspath $(BUILD_DIR)) PLATEAU_EVAL_DIR=$(abspath $(EVAL_DIR)) tools/bench_memory/run.sh

# `plateau serve` under load from a second process on loopback: throughput and latency percentiles at 1,
# 2 and 4 concurrent clients (tools/bench_server/run.sh; WORKERS, QUEUE, REQUESTS, CLIENTS, IMAGE).
bench-server: models build
	PLATEAU_BUILD_DIR=$(abspath $(BUILD_DIR)) tools/bench_server/run.sh

# `plateau worker` processes on a Redis queue of their own (docs/SCALING.md): pages per second, CPU seconds
# per page and RSS per worker over QUEUE_JOBS receipts (tools/bench_queue/bench.py).
QUEUE_JOBS ?= 100
QUEUE_PROCESSES ?= 1
QUEUE_THREADS ?= 1
bench-queue: deps models build
	/usr/bin/python3 tools/bench_queue/bench.py --plateau $(BUILD_DIR)/plateau --models models \
	  --images $(EVAL_DIR)/sroie/img --jobs $(QUEUE_JOBS) --processes $(QUEUE_PROCESSES) --threads $(QUEUE_THREADS)

# plateau.dask on a LocalCluster of DASK_WORKERS processes (one thread each, engines of DASK_THREADS):
# receipts per second, CPU seconds per receipt and RSS per worker over DASK_RECEIPTS receipts
# (tools/bench_dask/bench.py), with the package installed into a venv of the build, as its tests do.
DASK_RECEIPTS ?= 40
DASK_WORKERS ?= 1
DASK_THREADS ?= 1
DASK_VENV := $(BUILD_DIR)/python-venv-bench
bench-dask: deps models build
	/usr/bin/python3 -m venv --system-site-packages $(DASK_VENV)
	PLATEAU_BUILD_DIR=$(abspath $(BUILD_DIR)) $(DASK_VENV)/bin/python -m pip install --quiet \
	  --no-build-isolation --no-deps --no-index ./python
	$(DASK_VENV)/bin/python tools/bench_dask/bench.py --images $(EVAL_DIR)/sroie/img \
	  --receipts $(DASK_RECEIPTS) --workers $(DASK_WORKERS) --threads $(DASK_THREADS)

# The C++ sources clang-format keeps (.clang-format): the tracked .cc and .h files of src, include, tests,
# tools and fuzz.
CLANG_FORMAT ?= clang-format
FORMAT_FILES = $(shell git ls-files -- 'src/*.cc' 'src/*.h' 'include/*.h' 'tests/*.cc' 'tests/*.h' \
  'tools/*.cc' 'tools/*.h' 'fuzz/*.cc' 'fuzz/*.h')

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

# Fails listing the files that differ from what `make format` would make of them; changes nothing.
format-check:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "format-check: $(CLANG_FORMAT) not found: make deps"; exit 1; }
	@differ=""; for f in $(FORMAT_FILES); do \
	  $(CLANG_FORMAT) "$$f" | cmp -s - "$$f" || differ="$$differ $$f"; \
	done; \
	total=$(words $(FORMAT_FILES)); \
	if [ -n "$$differ" ]; then \
	  echo "format-check: $$(echo $$differ | wc -w) of $$total files differ from $(CLANG_FORMAT) (make format fixes them):"; \
	  for f in $$differ; do echo "  $$f"; done; exit 1; \
	fi; \
	echo "format-check: all $$total files match $(CLANG_FORMAT)"

# clang-tidy (.clang-tidy: bugprone, concurrency, performance) over the library, CLI, server, worker and
# tools, from BUILD_DIR's compile_commands.json (scripts/tidy.sh); fails on any finding.
tidy: deps $(BUILD_DIR)/CMakeCache.txt
	JOBS=$(JOBS) scripts/tidy.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR) $(TSAN_DIR)

# Also forgets the fetched models and the ONNX Runtime install.
distclean: clean
	rm -rf models tools/ort/node_modules tools/ort/package-lock.json tools/bench_memory/node_modules
