# The two commands: `make demo` runs the app against the simulated Nextcloud, `make test` runs every test.
SHELL := /bin/bash
# better-sqlite3 builds from source; node-gyp finds Node's headers here instead of downloading them.
export npm_config_nodedir ?= /usr

DEBIAN_PACKAGES := php-cli php-sqlite3 php-xml php-mbstring php-sabre-dav php-sabre-vobject chromium

.PHONY: demo test deps system-deps build typecheck bench clean

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

deps: system-deps node_modules/.deps-stamp

node_modules/.deps-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The simulator's WebDAV/CalDAV backend is SabreDAV on PHP; browser tests drive Debian's Chromium.
system-deps:
	@if ! php -r 'exit(is_file("/usr/share/php/Sabre/autoload.php") && extension_loaded("pdo_sqlite") && extension_loaded("xml") ? 0 : 1);' 2>/dev/null || [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian packages: $(DEBIAN_PACKAGES)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES); \
	fi

clean:
	rm -rf dist .demo-data test-artifacts
