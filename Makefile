# plateau's front door. The C++ build itself is described in CMakeLists.txt; this file only
# strings the steps together. Every target is idempotent: running it twice does little the second time.

SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
BUILD_TYPE ?= Release

.PHONY: all deps build models ort test clean

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

test: deps models build
	ctest --test-dir $(BUILD_DIR) --output-on-failure

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
