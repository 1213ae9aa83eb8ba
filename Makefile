# pipefan - a thin front door to meson.  Everything real is in meson.build;
# this file only configures build directories and runs the tools.
#
#   make                  configure build/ if needed, build
#   make check            install Debian deps, build, run the suite in build/
#                         and in build-asan/ (ASan+UBSan); last line
#                         "N passed, N failed, N skipped"
#   make check-fast       the suite in build/ only
#   make check-asan       the suite in build-asan/ only
#   make check-valgrind   the suite in build/ under valgrind memcheck (slow)
#   make install          PREFIX=/usr/local, DESTDIR honoured: bin/, lib/<multiarch>/
#                         (with pkgconfig/), include/, share/man/ (pipefan(1),
#                         pipefan-logs(1), pipefan-run(1), libpipefan(3)),
#                         share/bash-completion/, share/doc/pipefan/; the tree
#                         is relocatable (pipefan's rpath is $ORIGIN-relative)
#   make fuzz             the five fuzz targets (parse, format, time, wire, state) under
#                         libFuzzer (clang), FUZZ_SECONDS each (default 60),
#                         in build-fuzz/
#   make demo | bench | format | format-check | clean
#
# Every target first makes sure the Debian packages are there
# (tools/install-deps.sh: one dpkg-query when they are; NO_DEPS=1 skips it).
# Variables: WERROR=1 turns warnings into errors (CI), CC=clang picks the
# compiler when a build directory is first configured, MESON_ARGS adds
# options to `meson setup`.

PREFIX ?= /usr/local
BUILD ?= build
BUILD_ASAN ?= build-asan
WERROR ?= 0
MESON ?= meson
NINJA ?= ninja
CLANG_FORMAT ?= clang-format
MESON_ARGS ?=

comma := ,
werror := $(if $(filter 1 yes true,$(WERROR)),true,false)
FORMAT_DIRS := src include cli logs tests examples bench tools

.PHONY: fuzz all deps configure configure-asan build-asan-all check check-fast \
	check-asan check-valgrind install demo bench format format-check clean

all: configure
	$(NINJA) -C $(BUILD)

deps:
ifeq ($(NO_DEPS),1)
	@:
else
	@tools/install-deps.sh
endif

# Configure dir $(1) with options $(2) the first time; later re-apply the
# options only when they differ from the last ones (kept in a stamp file),
# so a plain `make` does not regenerate the build files every time.
define configure_dir
	@opts='-Dwerror=$(werror) $(2)'; \
	if [ ! -f $(1)/build.ninja ]; then \
	    $(MESON) setup $(1) $$opts $(MESON_ARGS) && \
	    echo "$$opts" > $(1)/.make-options; \
	elif [ "$$(cat $(1)/.make-options 2>/dev/null)" != "$$opts" ]; then \
	    $(MESON) configure $(1) $$opts >/dev/null && \
	    echo "$$opts" > $(1)/.make-options; \
	fi
endef

configure: deps
	$(call configure_dir,$(BUILD),)

configure-asan: deps
	$(call configure_dir,$(BUILD_ASAN),-Db_sanitize=address$(comma)undefined -Db_lundef=false)

build-asan-all: configure-asan
	$(NINJA) -C $(BUILD_ASAN)

check:
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory build-asan-all
	tools/check.sh $(BUILD) $(BUILD_ASAN)

check-fast: all
	tools/check.sh $(BUILD)

check-asan: build-asan-all
	tools/check.sh $(BUILD_ASAN)

check-valgrind: all
	tools/install-deps.sh valgrind
	tools/check.sh --valgrind $(BUILD)

install: configure
	$(MESON) configure $(BUILD) --prefix="$(PREFIX)"
	$(NINJA) -C $(BUILD)
	$(MESON) install -C $(BUILD) --no-rebuild \
	    $(if $(DESTDIR),--destdir "$(DESTDIR)")

demo: all
	tools/demo.sh $(BUILD)

FUZZ_SECONDS ?= 60
fuzz: deps
	tools/fuzz.sh build-fuzz $(FUZZ_SECONDS)

bench: all
	tools/install-bench-deps.sh
	bench/run.sh $(BUILD)

# clang-format over the C sources of the tree (dirs that exist).
format_files = $(shell find $(wildcard $(FORMAT_DIRS)) -type f \
	\( -name '*.c' -o -name '*.h' \) -not -path '*/corpus/*' | sort)

format: deps
	$(CLANG_FORMAT) -i $(format_files)

format-check: deps
	@command -v $(CLANG_FORMAT) >/dev/null || \
	    { echo "format-check: $(CLANG_FORMAT) not found"; exit 1; }
	@bad=$$(for f in $(format_files); do \
	    $(CLANG_FORMAT) --dry-run --Werror "$$f" >/dev/null 2>&1 || \
	    echo "$$f"; done); \
	if [ -n "$$bad" ]; then \
	    echo "format-check: not formatted (run make format):"; \
	    printf '  %s\n' $$bad; exit 1; \
	fi; \
	echo "format-check: $(words $(format_files)) files formatted"

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz
