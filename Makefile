# The two commands of the README, and the checks behind them.
.PHONY: demo test check

# Run the demo node (SQLite and files in ./var) on http://127.0.0.1:8000/
demo:
	@scripts/bootstrap.sh
	.venv/bin/tangguh demo

# Every check and the whole test suite (SQLite unless DATABASE_URL says otherwise)
test:
	@scripts/bootstrap.sh
	@scripts/system-deps.sh
	@scripts/check.sh

check: test
