# shot: `make run` installs what is missing, builds and starts the service;
# `make test` does the same and runs the whole test suite.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_FLAGS = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
ARGS       ?=
# Cache hits across checkouts in different places (CI clones afresh).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: deps build build-asan build-fuzz run test test-unit test-asan format bench clean

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DSHOT_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# The fuzz targets only, with clang's libFuzzer (Debian 12: clang-16) and ASan+UBSan.
build-fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) $(CMAKE_FLAGS) -DCMAKE_CXX_COMPILER=clang++-16 \
	  -DCMAKE_BUILD_TYPE=Debug -DSHOT_SANITIZE=ON -DSHOT_LIBFUZZER=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

run: build
	./$(BUILD)/shot serve $(ARGS)

# The Release build runs everything; the sanitizer build runs the unit tests
# and the API suites; the libFuzzer build runs the fuzz targets.
test: build build-asan build-fuzz
	@scripts/run-tests.sh $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

format:
	@scripts/check-format.sh --fix

bench: build
	@bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
