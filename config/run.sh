#!/usr/bin/env bash
# `make run`: gunicorn and the task worker side by side, in this script's process group.
# Ctrl-C or TERM stops both; if either stops on its own, the other is stopped too, so nothing is
# left running when this script ends. BIN is the virtualenv's bin folder (default .venv/bin).
set -u
bin=${BIN:-.venv/bin}

# The scheduled jobs tick inside the worker (teams/schedule.py); queue a tick in case none is.
"$bin/python" manage.py schedule --start || exit 1

"$bin/gunicorn" -c config/gunicorn.py config.wsgi &
web=$!
"$bin/python" manage.py db_worker --queue-name "*" --no-reload &
worker=$!

stop() {
  # TERM: gunicorn finishes its requests, the worker its current task, then each exits.
  kill -TERM "$web" "$worker" 2>/dev/null
}
trap stop INT TERM

wait -n "$web" "$worker"  # the first to exit, or a signal
status=$?
stop
wait "$web" "$worker"
exit "$status"
