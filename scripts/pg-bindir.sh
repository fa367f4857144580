#!/usr/bin/env bash
# Prints the directory holding the PostgreSQL server binaries (initdb,
# postgres): the one on PATH, else the newest Debian install under
# /usr/lib/postgresql/<major>/bin. Exits 1 when there is none.
set -euo pipefail
if p=$(command -v initdb 2>/dev/null); then
	dirname "$(readlink -f "$p")"
	exit 0
fi
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4n -r); do
	if [[ -x $d/initdb && -x $d/postgres ]]; then
		echo "$d"
		exit 0
	fi
done
exit 1
