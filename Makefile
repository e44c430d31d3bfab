# rollguard: the two commands a new user needs are `make demo` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all setup configure build test analyze demo bench fuzz clean asan package

all: build

setup:
	@bash scripts/setup.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: setup $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

# clang's thread-safety analysis over every source (ABSL_GUARDED_BY and friends).
analyze: build
	bash scripts/analyze.sh $(BUILD_DIR)

# The Debian packages: build/rollguard_<version>_amd64.deb (the CLI),
# build/rollguard-collector_..., build/rollguard-agent_... (README "Installing on a fleet").
package: build
	cd $(BUILD_DIR) && cpack -G DEB

demo: build
	bash scripts/demo.sh $(BUILD_DIR)/bin

bench: build
	bash scripts/setup.sh --bench
	bash scripts/bench.sh $(BUILD_DIR)/bin

# Run every fuzzer (libFuzzer; needs clang) for FUZZ_SECONDS each, with a
# fresh seed; what crashes lands in $(BUILD_DIR)/crash-*.
FUZZ_SECONDS ?= 300
FUZZ_FLAGS = -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -artifact_prefix=$(BUILD_DIR)/
FUZZERS = statsd_parser_fuzz chunk_codec_fuzz batch_decoder_fuzz playbook_config_fuzz \
	agent_config_fuzz collector_config_fuzz
fuzz: build
	@mkdir -p $(patsubst %,$(BUILD_DIR)/fuzz-corpus-%,$(FUZZERS))
	$(BUILD_DIR)/tests/statsd_parser_fuzz $(FUZZ_FLAGS) $(BUILD_DIR)/fuzz-corpus-statsd_parser_fuzz tests/fuzz/corpus
	$(BUILD_DIR)/tests/chunk_codec_fuzz $(FUZZ_FLAGS) $(BUILD_DIR)/fuzz-corpus-chunk_codec_fuzz
	$(BUILD_DIR)/tests/batch_decoder_fuzz $(FUZZ_FLAGS) $(BUILD_DIR)/fuzz-corpus-batch_decoder_fuzz
	$(BUILD_DIR)/tests/playbook_config_fuzz $(FUZZ_FLAGS) $(BUILD_DIR)/fuzz-corpus-playbook_config_fuzz \
		tests/fuzz/corpus-playbooks
	$(BUILD_DIR)/tests/agent_config_fuzz $(FUZZ_FLAGS) $(BUILD_DIR)/fuzz-corpus-agent_config_fuzz \
		tests/fuzz/corpus-agent-config
	$(BUILD_DIR)/tests/collector_config_fuzz $(FUZZ_FLAGS) $(BUILD_DIR)/fuzz-corpus-collector_config_fuzz \
		tests/fuzz/corpus-collector-config

# Address + undefined-behaviour sanitizer build of everything, with its tests.
asan: setup
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DROLLGUARD_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) --timeout 600

clean:
	rm -rf $(BUILD_DIR) build-asan
