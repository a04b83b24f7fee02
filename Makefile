# ktls-https. `make test` and `make run` install what they need first (scripts/install-deps.sh).
MVN ?= mvn -B
JAR := target/ktls-https.jar

.PHONY: all deps build lint test unit-test kernel-test run bench scan clean install

all: lint test

deps:
	@scripts/install-deps.sh

build: deps
	$(MVN) -q -DskipTests package

# The linter is javac itself: -Xlint:all -Werror over main and test sources (pom.xml),
# plus the layering rules of docs/DESIGN.md, checked by LayeringTest. bench/java compiles with the tests.
lint: deps
	$(MVN) -q -DskipTests test-compile
	$(MVN) -q surefire:test -Dtest=LayeringTest -Dtest.reportsDirectory=target/lint-reports

# Unit tests on the host, then the kernel TLS tests on a kTLS kernel (host or UML, and QEMU
# where kernel-tests.sh says so); the summary fails if a harness it expects left no reports.
test: deps
	rm -rf target/surefire-reports target/surefire-reports-kernel target/surefire-reports-qemu target/interop
	$(MVN) verify
	scripts/kernel-tests.sh
	@scripts/test-summary.sh target/surefire-reports $$(scripts/kernel-tests.sh --report-dirs)

# Serves demo/ on https://localhost:4433 with a certificate from scripts/make-certs.sh.
run:
	@scripts/install-deps.sh --run-only
	$(MVN) -q -DskipTests package
	scripts/make-certs.sh
	java -jar $(JAR) --root demo --cert certs/cert.pem --key certs/key.pem

unit-test: deps
	rm -f target/interop/host-*.tsv
	$(MVN) verify

kernel-test: deps
	$(MVN) -q -DskipTests test-compile
	scripts/kernel-tests.sh

# Installs what `make build` made, as a systemd service (README, Deploying): the jar and its
# lib/ under PREFIX, the unit, its user (sysusers.d), the tls module at boot, logrotate, and
# the options in /etc/default/ktls-https unless that file exists. DESTDIR for staging.
PREFIX ?= /opt/ktls-https
UNITDIR ?= /etc/systemd/system
install:
	@test -f $(JAR) -a -d target/lib || { echo "make install: no $(JAR) or target/lib; run make build first" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(UNITDIR)
	install -m 0644 $(JAR) README.md $(DESTDIR)$(PREFIX)/
	install -m 0644 target/lib/*.jar $(DESTDIR)$(PREFIX)/lib/
	sed 's#/opt/ktls-https#$(PREFIX)#g' packaging/ktls-https.service > $(DESTDIR)$(UNITDIR)/ktls-https.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ktls-https.service
	install -D -m 0644 packaging/ktls-https.sysusers $(DESTDIR)/usr/lib/sysusers.d/ktls-https.conf
	install -D -m 0644 packaging/ktls-https.modules $(DESTDIR)/etc/modules-load.d/ktls-https.conf
	install -D -m 0644 packaging/ktls-https.logrotate $(DESTDIR)/etc/logrotate.d/ktls-https
	@if [ -e $(DESTDIR)/etc/default/ktls-https ]; then \
	  echo "kept $(DESTDIR)/etc/default/ktls-https (yours); the default is packaging/ktls-https.default"; \
	else install -D -m 0644 packaging/ktls-https.default $(DESTDIR)/etc/default/ktls-https; fi

clean:
	$(MVN) -q clean
	rm -rf certs

bench:
	scripts/bench.sh

scan:
	scripts/scan.sh
