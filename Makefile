# AstroLearn: `make demo` runs the main job, `make test` runs the test suite.
# Both install the Debian packages the build needs when they are missing.

SWIFT ?= swift
# chromium and python3: the labelling page test drives the page in headless Chromium.
# python3-venv: onnx's checker and onnxruntime for the ONNX export tests, from PyPI into .build/onnx-venv.
# openmpi-bin, libopenmpi-dev: data-parallel training over MPI (the AstroMPI target links Open MPI; tests run mpirun).
# postgresql, postgresql-15-q3c, libpq-dev, librdkafka-dev: the alert store on a PostgreSQL server with a q3c sky index (tests start
# a throwaway server on loopback) and live ingestion from Kafka.
APT_PACKAGES := libopenblas-dev libhdf5-dev libpng-dev zlib1g-dev libdeflate-dev libsqlite3-dev pkg-config libc6-dev-arm64-cross libgcc-12-dev-arm64-cross qemu-user chromium python3 python3-venv openmpi-bin libopenmpi-dev postgresql postgresql-15-q3c libpq-dev librdkafka-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build demo test test-tsan test-asan fuzz check-arm64 onnx-venv docs bench clean

# Install system packages only when one is missing (apt-get update first, as a fresh machine needs).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

# The main job: generate ZTF-like triplets, train braai's VGG6 on them (report, plots, weights in
# out/demo/run), then score the real ZTF alert packets bundled in Datasets/ with braai d6_m7.
DEMO_COUNT ?= 12000
DEMO_EPOCHS ?= 8
demo: deps
	$(SWIFT) build -c release --product make-datasets
	$(SWIFT) build -c release --product braai
	.build/release/make-datasets triplets --count $(DEMO_COUNT) --seed 1 --stamp demo --out out/demo
	.build/release/braai train --npy out/demo --stamp demo --epochs $(DEMO_EPOCHS) --batch 64 --patience 3 --out out/demo/run
	@echo "== braai d6_m7 on the bundled real ZTF alert packets (score vs the packets' production drb) =="
	.build/release/braai score Datasets/ztf-alerts

# Tests run from an optimised build (the training tests need it); -enable-testing lets the store's tests
# use @testable imports there.
# The alert-store tests run on SQLite, then again on a throwaway PostgreSQL server (Tests/Servers/postgres.sh, stopped
# whatever happens) that the PostgreSQL-only tests also use.
STORE_BACKEND_TESTS := AlertStoreTests\.(Ingest|Query|LightCurve|Scoring|Plot|SyntheticAlerts|Reliability|CLI|Consume|Server)Tests
test: deps check-arm64 onnx-venv
	$(SWIFT) build -c release --build-tests -Xswiftc -enable-testing
	@pg=$$(mktemp -d /tmp/astrolearn-pg-XXXXXX); trap 'Tests/Servers/postgres.sh stop '$$pg EXIT; trap 'exit 130' INT TERM HUP; \
	url=$$(Tests/Servers/postgres.sh start $$pg) && export ALERTSTORE_TEST_POSTGRES_URL=$$url && \
	echo "PostgreSQL test server: $$url" && \
	$(SWIFT) test -c release --skip-build --disable-swift-testing && \
	echo "== the alert-store tests again, on PostgreSQL ==" && \
	ALERTSTORE_TEST_BACKEND=postgres $(SWIFT) test -c release --skip-build --disable-swift-testing --filter '$(STORE_BACKEND_TESTS)'

# onnx (checker) and onnxruntime, which the ONNX tests run our exports through; when PyPI cannot be reached
# the tests that need them skip, saying so.
ONNX_VENV := .build/onnx-venv
onnx-venv: deps
	@if $(ONNX_VENV)/bin/python -c "import onnx, onnxruntime" 2>/dev/null; then :; \
	elif python3 -m venv $(ONNX_VENV) && $(ONNX_VENV)/bin/pip install -q --disable-pip-version-check \
	    onnx==1.23.2 onnxruntime==1.31.1 numpy; then echo "onnx and onnxruntime installed in $(ONNX_VENV)"; \
	else echo "onnx/onnxruntime could not be installed: the ONNX runtime checks will skip"; fi

# The C/C++ kernels built for arm64 (Apple Silicon, Graviton) without an arm64 machine: every file compiled for
# aarch64 (x86-only code must sit inside the ASTRO_X86_64 guards), then the arm64 kernels' tests (Tests/KernelsARM64)
# linked against Debian's arm64 C library and run under qemu-aarch64 against naive references. C library only:
# Debian has no arm64 C++ standard library to cross-link, and the kernels need none.
CLANG ?= clang
ARM64_FLAGS := --target=aarch64-linux-gnu -std=c++17 -O2 -Wall -Werror -fno-exceptions -fno-rtti -nostdinc++ \
  -ISources/AstroKernelsC/include
check-arm64: deps
	@for f in Sources/AstroKernelsC/*.cpp; do $(CLANG) $(ARM64_FLAGS) -fsyntax-only $$f || exit 1; done
	@mkdir -p .build/arm64
	@$(CLANG) $(ARM64_FLAGS) -fuse-ld=lld -nostdlib++ Sources/AstroKernelsC/ConvolutionShapes.cpp \
	  Sources/AstroKernelsC/DirectConvolutionNEON.cpp Sources/AstroKernelsC/LoopKernels.cpp \
	  Tests/KernelsARM64/NEONKernelTests.cpp -lm -o .build/arm64/neon-kernel-tests
	qemu-aarch64 -L /usr/aarch64-linux-gnu .build/arm64/neon-kernel-tests

# The concurrency-relevant tests under ThreadSanitizer (a debug build of its own, in .build-tsan). The servers and
# `alerts ingest` the tests start are the TSan builds too (TSAN_OPTIONS is inherited: a race ends them, failing the test).
TSAN_TESTS := ConcurrencyTests|PredictTests|AstroKernelsTests.ParallelTests|BufferPoolTests|CustomLayerTests|MultiInputModelTests|TrainingTasksTests|IngestTests|LabelServerTests|ReliabilityTests/testReaders|InProcessCommunicatorTests|DataParallelTests/testRanksComputeTheGradientOfTheGlobalBatch|DataParallelTests/testAFailingRank
test-tsan: deps
	$(SWIFT) build --sanitize=thread --build-tests --scratch-path .build-tsan
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --sanitize=thread --skip-build --scratch-path .build-tsan \
	  --disable-swift-testing --filter '$(TSAN_TESTS)'

# Parser, store and kernel tests under AddressSanitizer (a debug build of its own, in .build-asan).
ASAN_TESTS := AstroIOTests|ZTFAlertsTests|AstroKernelsTests|AlertStoreTests|FuzzRegressionTests|HostileStoreTests|TFLite|ONNXImportFuzzTests|ProtobufTests|LabelStoreTests
test-asan: deps
	$(SWIFT) build --sanitize=address --build-tests --scratch-path .build-asan
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 $(SWIFT) test --sanitize=address --skip-build --scratch-path .build-asan \
	  --disable-swift-testing --filter '$(ASAN_TESTS)'

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every parser entry point, FUZZ_SECONDS per target
# (FUZZ_TARGET=name for one, FUZZ_RUNS=N for N executions each); one line per target, non-zero exit when any
# crashed. See Fuzz/run.sh.
FUZZ_SECONDS ?= 30
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_TARGET=$(FUZZ_TARGET) bash Fuzz/run.sh

# DocC documentation of every library (swift-docc-plugin); warnings fail the build.
DOC_TARGETS := AstroKernels AstroTensor AstroIO AstroNN AstroInt8 AstroTFLite AstroONNX AstroArtefacts AstroQuantization ZTFAlerts AstroPlot AstroEval SyntheticData AlertStore AlertStream Braai DeepStreaks AstroDistributed AstroMPI
docs: deps
	@mkdir -p .build/docs
	@for t in $(DOC_TARGETS); do \
	  $(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target $$t \
	    --output-path .build/docs/$$t --warnings-as-errors --disable-indexing || exit 1; \
	done; echo "documentation in .build/docs"

clean:
	rm -rf .build .build-tsan .build-asan .build-fuzz
