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
#   make install          PREFIX=/usr/local, DESTDIR honoured
#   make demo | bench | format | format-check | clean
#
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

.PHONY: all deps configure configure-asan build-asan-all check check-fast \
	check-asan check-valgrind install demo bench format format-check clean

all: configure
	$(NINJA) -C $(BUILD)

# Configure dir $(1) with options $(2) the first time; later only re-apply
# the options, which meson turns into a rebuild only when they changed.
define configure_dir
	@if [ -f $(1)/build.ninja ]; then \
	    $(MESON) configure $(1) -Dwerror=$(werror) $(2) >/dev/null; \
	else \
	    $(MESON) setup $(1) -Dwerror=$(werror) $(2) $(MESON_ARGS); \
	fi
endef

configure:
	$(call configure_dir,$(BUILD),)

configure-asan:
	$(call configure_dir,$(BUILD_ASAN),-Db_sanitize=address$(comma)undefined -Db_lundef=false)

deps:
	tools/install-deps.sh

build-asan-all: configure-asan
	$(NINJA) -C $(BUILD_ASAN)

check: deps
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
	$(MESON) configure $(BUILD) --prefix=$(PREFIX)
	$(NINJA) -C $(BUILD)
	$(MESON) install -C $(BUILD) --no-rebuild \
	    $(if $(DESTDIR),--destdir "$(DESTDIR)")

demo: all
	tools/demo.sh $(BUILD)

bench: all
	tools/install-bench-deps.sh
	bench/run.sh $(BUILD)

# clang-format over the C sources of the tree (dirs that exist).
format_files = $(shell find $(wildcard $(FORMAT_DIRS)) -type f \
	\( -name '*.c' -o -name '*.h' \) -not -path '*/corpus/*' | sort)

format:
	$(CLANG_FORMAT) -i $(format_files)

format-check:
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
	rm -rf $(BUILD) $(BUILD_ASAN)
