# The two commands: `make demo` runs the app against the simulated Nextcloud, `make test` runs every test.
SHELL := /bin/bash
# A supported Node.js LTS (22 or newer): the machine's own, or Node 24 installed into .tools/node when that is older.
NODE_BIN := $(shell sh scripts/node-runtime.sh)
ifeq ($(NODE_BIN),)
$(error No supported Node.js (22 or newer) could be found or installed)
endif
export PATH := $(NODE_BIN):$(PATH)
NODE_MAJOR := $(shell $(NODE_BIN)/node -p 'process.versions.node.split(".")[0]')
# better-sqlite3 builds from source; node-gyp finds the headers of the Node that runs it here instead of
# downloading them.
export npm_config_nodedir ?= $(abspath $(NODE_BIN)/..)

DEBIAN_PACKAGES := php-cli php-sqlite3 php-xml php-mbstring php-sabre-dav php-sabre-vobject chromium openssl

.PHONY: demo test deps system-deps build typecheck bench clean release

demo: deps
	node --import tsx scripts/demo.ts

test: deps
	npm test

build: deps
	npm run build

typecheck: deps
	npm run typecheck

bench: deps
	node --import tsx bench/run.ts
	node --import tsx bench/read-rss.ts

deps: system-deps node_modules/.deps-stamp-node$(NODE_MAJOR)

# Native modules are built for one Node major: another Node means a fresh install.
node_modules/.deps-stamp-node$(NODE_MAJOR): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The simulator's WebDAV/CalDAV backend is SabreDAV on PHP; browser tests drive Debian's Chromium.
system-deps:
	@if ! php -r 'exit(is_file("/usr/share/php/Sabre/autoload.php") && extension_loaded("pdo_sqlite") && extension_loaded("xml") ? 0 : 1);' 2>/dev/null || [ ! -x /usr/bin/chromium ] || ! command -v openssl >/dev/null; then \
		echo "Installing Debian packages: $(DEBIAN_PACKAGES)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES); \
	fi

# The app-store archive dist/release/mcp_gateway-<version>.tar.gz, signed when the store key is there (README,
# "Releasing"). Needs the npm packages only, not the simulator's and browser's Debian packages.
release: node_modules/.deps-stamp-node$(NODE_MAJOR)
	node --import tsx scripts/release.ts

clean:
	rm -rf dist .demo-data test-artifacts .tools
