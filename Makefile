# The two commands: `make run` (the whole stack on this machine) and `make test` (everything CI checks).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
WORKERS ?= 2

.PHONY: test check lint typecheck unit snapshot run send dlq redrive upgrade low stock bench lock clean test-aws \
	test-aws-cleanup mutate

test: lint typecheck unit

# The edit-test loop: lint, types, architecture, unit and infrastructure tests, no local stack, on both cores.
check: lint typecheck
	$(BIN)/pytest -m "not local_stack" -n $(WORKERS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

# Every test, on both cores: each test file runs whole on one of two workers (the scenarios, which share their
# stacks, as one), the longest first (tests/conftest.py). Most of a stack test's time is spent waiting on the stack's
# processes, so two workers keep both cores busy.
# Its JUnit report, build/test-report.xml, is where `make bench` reads where the suite's time goes.
unit: $(INSTALLED)
	$(BIN)/pytest -n $(WORKERS) --dist loadscope --junit-xml=build/test-report.xml

# The whole stack on this machine: embedded AWS on LOCAL_AWS_PORT (4566), the API on PORT (3000).
# AUTH=off checks neither API signatures nor IAM policies; RELOAD=off keeps the code it started with; SPEEDUPS=off
# serves AWS requests as moto's server does (docs/running-locally.md).
run: $(INSTALLED)
	$(BIN)/python -m local_stack $(if $(filter off,$(AUTH)),--no-auth) $(if $(filter off,$(RELOAD)),--no-reload) \
		$(if $(filter off,$(SPEEDUPS)),--no-speedups)

# The local stack is reached as AWS is: through the AWS CLI's config and credentials files that `make run` writes
# (profile `local`, its endpoint_url the embedded AWS), with no other AWS setting of the environment, any of which
# botocore could take first (tools.stack_outputs.local_stack_environment does the same). A STACK in AWS is
# reached with the environment as it is.
LOCAL_AWS = env $(foreach variable,$(filter AWS_%,$(.VARIABLES)),-u $(variable)) AWS_CONFIG_FILE=.local/config \
	AWS_SHARED_CREDENTIALS_FILE=.local/credentials AWS_PROFILE=local
STACK_AWS = $(if $(STACK),,$(LOCAL_AWS))

# Send a file of STOCK_ID;LEVEL lines to the import queue, or drop it in the bucket (VIA=bucket): the local
# stack's, or STACK's in AWS.
send: $(INSTALLED)
	@test -n "$(FILE)" || { echo "usage: make send FILE=path [STACK=dev] [VIA=queue|bucket]"; exit 2; }
	$(STACK_AWS) $(BIN)/python -m tools.send_stock_file "$(FILE)" $(if $(STACK),--stack "$(STACK)") $(if $(VIA),--via "$(VIA)")

# The scenarios (tests/scenarios) against an ephemeral copy of STACK in AWS, and a webhook receiver for its chat
# channel, created and destroyed with the Pulumi Automation API. Needs the Pulumi CLI and AWS credentials; costs a
# few cents; each step's time limit is in tools/test_aws.py (TimeLimits). TARGET=local rehearses the same run with the local stack in the CLI's place and a
# loopback receiver in the receiver stack's (`make test` runs it);
# STACK_FILE names another settings file than Pulumi.$(STACK).yaml.
test-aws: $(INSTALLED) $(if $(filter local,$(TARGET)),,policy/venv)
	$(BIN)/python -m tools.test_aws --stack "$(or $(STACK),dev)" --target "$(or $(TARGET),aws)" \
		$(if $(STACK_FILE),--stack-file "$(STACK_FILE)")

# Destroy and remove the ephemeral stacks of STACK, and their webhook receivers, that a cancelled or timed-out
# `make test-aws` left behind.
test-aws-cleanup: $(INSTALLED)
	$(BIN)/python -m tools.test_aws --cleanup --stack "$(or $(STACK),dev)"

# What waits in the import dead-letter queue, the failure queues and each alert channel's dead letters (one line
# per alert; nothing is consumed); EXPORT=file writes the rejected lines as an import file and removes them. The
# local stack, or STACK's.
dlq: $(INSTALLED)
	$(STACK_AWS) $(BIN)/python -m tools.dead_letters $(if $(STACK),--stack "$(STACK)") $(if $(EXPORT),--export "$(EXPORT)")

# Move the messages that exhausted their retries back to the import queue (SQS's message move task); CHANNEL=webhook
# moves that channel's alert dead letters back to its queue instead, once the chat takes posts again. CHANNEL=sns is
# refused: SNS does not say which subscriber missed an alert, and publishing it again would reach them all.
redrive: $(INSTALLED)
	$(STACK_AWS) $(BIN)/python -m tools.dead_letters --redrive $(if $(STACK),--stack "$(STACK)") \
		$(if $(CHANNEL),--channel "$(CHANNEL)")

# Bring every item in line with the stack's default reorder point (lowStockThreshold, as its functions hold it) and
# with the stored form of times: after the upgrade to per-item reorder points, and after each change of the default.
# Each write is conditional on what was read; the table's stream then alerts the items made low, once. DRY_RUN=1
# prints the writes and makes none; REPAIR_FUTURE=1 also sets each time dated past asOfMaxAheadSeconds to now.
# Interrupted, or items skipped as changed meanwhile: run it again (it writes only what is still needed), or go on
# with START_AFTER=<the last item done>, which it prints when interrupted. An item whose place in the list of low
# items is not what its state says gets a check time written, so that the table's stream sets it right.
upgrade: $(INSTALLED)
	$(STACK_AWS) $(BIN)/python -m tools.upgrade_items $(if $(STACK),--stack "$(STACK)") $(if $(DRY_RUN),--dry-run) \
		$(if $(REPAIR_FUTURE),--repair-future) $(if $(START_AFTER),--start-after "$(START_AFTER)")

# The items that are low now, through the API (signed requests, every page), one line each; EXPORT=file writes them
# as a stock file (STOCK_ID;stock_level=N;reorder_point=M or =default) to edit and send back with `make send`.
low: $(INSTALLED)
	$(STACK_AWS) $(BIN)/python -m tools.low_items $(if $(STACK),--stack "$(STACK)") $(if $(EXPORT),--export "$(EXPORT)")

# One item, without a table scan: as stored, field by field with each time; its reorder point in force, whether it
# is low and listed as low; each channel's records of its alerts; and what waits about it in the dead letters.
stock: $(INSTALLED)
	@test -n "$(ID)" || { echo "usage: make stock ID=item [STACK=dev]"; exit 2; }
	$(STACK_AWS) $(BIN)/python -m tools.stock_report "$(ID)" $(if $(STACK),--stack "$(STACK)")

# Benchmarks (not part of `make test`): prints a table and rewrites docs/PERFORMANCE.md, which gives the run's
# duration on the machine it ran on.
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks

# Mutation testing (not part of `make test`; nightly in CI): mutmut mutates domain/, adapters/ and handlers/ and runs
# against each mutant the tests of its package that call the mutated code: the unit, adapter and contract tests for
# domain/ and adapters/, the handler tests for handlers/ ([tool.mutmut] in pyproject.toml, tests/mutation/
# selection.py); then it prints the score per package and fails below domain 100% / adapters 90% / handlers 90%
# killed or explained (tests/mutation/equivalent.txt).
# Starts from an empty mutants/ each time: mutmut would keep a survivor's verdict from before a new test.
# Its last line says how long it took: the one measure of its duration, which depends on the machine and its load.
mutate: $(INSTALLED)
	rm -rf mutants
	@started=$$(date +%s); $(BIN)/mutmut run && $(BIN)/python -m tests.mutation.score; status=$$?; \
	echo "make mutate: took $$(( $$(date +%s) - started )) s"; exit $$status

# Rewrite the reviewed snapshot of the stack's resources after an intended infrastructure change.
snapshot: $(INSTALLED)
	$(BIN)/python -m tests.infrastructure.snapshot

# The policy pack's own virtualenv, at the path its PulumiPolicy.yaml names. `pulumi preview --policy-pack policy`
# runs a local Python pack from it but never creates it, so the workflows build it first.
policy/venv: policy/requirements.txt
	rm -rf $@ && $(PYTHON) -m venv $@
	$@/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	touch $@

# The pinned dependencies, installed by uv (pinned here, installed with pip): it fetches and installs in parallel,
# and `uv pip sync` leaves the virtualenv exactly as pinned (it keeps pip and itself).
# Where uv cannot be installed or cannot install (no wheel for the platform; an index only pip is configured for), or
# with INSTALLER=pip, pip installs them all.
UV := uv==0.13.9
$(INSTALLED): requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	if [ "$(INSTALLER)" != pip ] && $(BIN)/python -m pip install --quiet --disable-pip-version-check "$(UV)" && \
		$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements-dev.txt; \
	then :; else $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt; fi
	touch $@

# Re-pin requirements-dev.txt from requirements.in in a throwaway environment.
lock:
	rm -rf build/lock && $(PYTHON) -m venv build/lock
	build/lock/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.in
	{ echo "# Pinned from requirements.in by 'make lock'; install with 'make test' or 'make run'."; \
	  build/lock/bin/python -m pip freeze --disable-pip-version-check; } > requirements-dev.txt
	rm -rf build/lock

clean:
	rm -rf $(VENV) policy/venv build .local .mypy_cache .pytest_cache .ruff_cache .hypothesis mutants
