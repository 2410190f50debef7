# AstroLearn: `make demo` runs the main job, `make test` runs the test suite.
# Both install the Debian packages the build needs when they are missing.

SWIFT ?= swift
APT_PACKAGES := libopenblas-dev libhdf5-dev libpng-dev zlib1g-dev libsqlite3-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build demo test bench clean

# Install system packages only when one is missing (apt-get update first, as a fresh machine needs).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

demo: deps
	$(SWIFT) build -c release --product train-demo --product braai
	.build/release/train-demo
	@echo "== braai d6_m7 on the bundled ZTF alert packets (score vs the packets' production drb) =="
	.build/release/braai score Datasets/ztf-alerts

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

clean:
	rm -rf .build
