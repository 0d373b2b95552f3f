#!/usr/bin/env bash
# pg-replica.sh: a PostgreSQL streaming replica of the local cluster on this
# machine, for the replica tests and for trying `serve --db-replica`
# (docs/RUNNING.md "A read replica").
#
#   scripts/pg-replica.sh up      # make sure it exists, runs and streams; print its port
#   scripts/pg-replica.sh status  # exit 0 when healthy (running, in recovery, streaming)
#   scripts/pg-replica.sh stop    # stop it (fast shutdown); up starts it again
#   scripts/pg-replica.sh down    # stop and drop it
#
# up is idempotent and fast when the replica is already healthy (it reuses
# it). Otherwise it makes one: `pg_createcluster VERSION NAME -p PORT`, its
# data folder replaced by `pg_basebackup -R -X stream` from the primary at
# 127.0.0.1:$PRIMARY_PORT, trust authentication on loopback, the primary's
# hot-standby limits copied (a standby refuses to start with lower ones).
# If the primary's pg_hba.conf has no line admitting replication connections
# from 127.0.0.1, up appends
#     host replication all 127.0.0.1/32 trust
# to it and reloads the primary (say so to whoever owns that server). The
# replica streams without a slot, so a replica left stopped never holds WAL
# on the primary; one too far behind to catch up is made again by up.
#
# Needs the Debian postgresql-common tools (pg_createcluster, pg_ctlcluster)
# and root or the postgres user. Exit status 3 means a replica cannot be
# created on this machine (tools, rights or the primary's settings): the
# tests skip then, except under CI.
#
# Settings: PG_REPLICA_NAME (grassroots_replica), PG_REPLICA_PORT (5491),
# PRIMARY_PORT (5432), PG_VERSION (the primary's major version).
set -euo pipefail

NAME=${PG_REPLICA_NAME:-grassroots_replica}
PORT=${PG_REPLICA_PORT:-5491}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
LOCK=${PG_REPLICA_LOCK:-/tmp/grassroots-pg-replica.lock}

cannot() { echo "pg-replica: cannot create a replica here: $*" >&2; exit 3; }
say() { echo "pg-replica: $*" >&2; }

for tool in pg_createcluster pg_ctlcluster pg_dropcluster pg_lsclusters psql pg_isready flock; do
	command -v "$tool" >/dev/null 2>&1 || cannot "$tool is missing (Debian package postgresql-common / util-linux)"
done

# as_pg runs a command as the postgres user (the clusters' owner).
as_pg() {
	if [[ $(id -un) == postgres ]]; then "$@"
	elif [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"
	else cannot "run as root or as the postgres user (now $(id -un))"
	fi
}
[[ $(id -u) == 0 || $(id -un) == postgres ]] || cannot "run as root or as the postgres user (now $(id -un))"

primary() { psql -X -q -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -Atc "$1"; }
replica() { psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atc "$1"; }

pg_isready -q -h 127.0.0.1 -p "$PRIMARY_PORT" || cannot "no primary answers on 127.0.0.1:$PRIMARY_PORT"
VERSION=${PG_VERSION:-$(primary "SHOW server_version_num" | cut -c1-2)}
BIN=/usr/lib/postgresql/$VERSION/bin
[[ -x $BIN/pg_basebackup ]] || cannot "$BIN/pg_basebackup is missing"

exists() { pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v n="$NAME" '$1 == v && $2 == n {found=1} END {exit !found}'; }

# healthy: the replica answers, is a standby of this primary and streams.
healthy() {
	pg_isready -q -h 127.0.0.1 -p "$PORT" || return 1
	[[ $(replica "SELECT pg_is_in_recovery()" 2>/dev/null) == t ]] || return 1
	[[ $(replica "SELECT system_identifier FROM pg_control_system()" 2>/dev/null) == "$(primary "SELECT system_identifier FROM pg_control_system()")" ]] || return 1
	[[ $(replica "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null) == streaming ]] || return 1
}

# wait_healthy waits up to $1 seconds for healthy, resuming a paused replay
# (a test that stopped half-way leaves it paused).
wait_healthy() {
	local i
	for ((i = 0; i < $1 * 4; i++)); do
		if pg_isready -q -h 127.0.0.1 -p "$PORT" && [[ $(replica "SELECT pg_is_wal_replay_paused()" 2>/dev/null) == t ]]; then
			replica "SELECT pg_wal_replay_resume()" >/dev/null 2>&1 || true
		fi
		healthy && return 0
		sleep 0.25
	done
	return 1
}

# restartpoint makes the replica's next start quick: a standby starts by
# replaying the log from its last restartpoint, which follows the primary's
# last checkpoint (every 5 minutes by default): on a busy machine that was
# over a minute of replay. A checkpoint on the primary, replayed, then one
# on the replica (a restartpoint) leaves little to replay. Best effort.
restartpoint() {
	healthy || return 0
	primary "CHECKPOINT" >/dev/null 2>&1 || return 0
	local target i
	target=$(primary "SELECT pg_current_wal_lsn()")
	for ((i = 0; i < 120; i++)); do
		[[ $(replica "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn" 2>/dev/null) == t ]] && break
		sleep 0.25
	done
	replica "CHECKPOINT" >/dev/null 2>&1 || true
}

# allow_replication makes sure the primary admits replication connections
# from 127.0.0.1 (pg_hba.conf), adding a trust line and reloading if not.
allow_replication() {
	if psql -X -q "host=127.0.0.1 port=$PRIMARY_PORT user=postgres replication=true" -c "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
		return 0
	fi
	local hba
	hba=$(primary "SHOW hba_file")
	[[ -w $hba ]] || cannot "the primary refuses replication connections from 127.0.0.1 and $hba is not writable"
	say "adding 'host replication all 127.0.0.1/32 trust' to $hba and reloading the primary"
	printf '\n# added by grassroots scripts/pg-replica.sh: the local streaming replica\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
	primary "SELECT pg_reload_conf()" >/dev/null
	local i
	for ((i = 0; i < 40; i++)); do
		psql -X -q "host=127.0.0.1 port=$PRIMARY_PORT user=postgres replication=true" -c "IDENTIFY_SYSTEM" >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	cannot "the primary still refuses replication connections from 127.0.0.1 after adding the line to $hba"
}

create() {
	local level senders
	level=$(primary "SHOW wal_level")
	senders=$(primary "SHOW max_wal_senders")
	[[ $level == replica || $level == logical ]] || cannot "the primary's wal_level is $level (needs replica; changing it takes a restart of the primary)"
	((senders > 0)) || cannot "the primary's max_wal_senders is 0 (changing it takes a restart of the primary)"
	allow_replication
	if exists; then
		say "dropping the unhealthy replica $VERSION/$NAME"
		pg_dropcluster --stop "$VERSION" "$NAME"
	fi
	say "creating $VERSION/$NAME on port $PORT from 127.0.0.1:$PRIMARY_PORT"
	pg_createcluster "$VERSION" "$NAME" -p "$PORT" >/dev/null
	local conf=/etc/postgresql/$VERSION/$NAME data
	data=$(awk -F"'" '/^data_directory/ {print $2}' "$conf/postgresql.conf")
	[[ -n $data && -d $data ]] || cannot "no data folder found for $VERSION/$NAME"
	find "$data" -mindepth 1 -delete
	as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$data" -R -X stream -c fast
	# Trust on loopback only (the tests connect as postgres without a password).
	cat >"$conf/pg_hba.conf" <<-EOF
		local all all trust
		host all all 127.0.0.1/32 trust
		host all all ::1/128 trust
	EOF
	# A hot standby needs at least the primary's limits; keep it small otherwise.
	{
		echo "# grassroots scripts/pg-replica.sh"
		echo "listen_addresses = '127.0.0.1'"
		echo "hot_standby = on"
		echo "shared_buffers = 32MB"
		for s in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
			echo "$s = $(primary "SHOW $s")"
		done
	} >"$conf/conf.d/grassroots-replica.conf"
	chown postgres:postgres "$conf/pg_hba.conf" "$conf/conf.d/grassroots-replica.conf"
	start_replica
}

# start_replica starts the cluster in a session of its own, without the
# lock's descriptor (a server that inherited it would hold the lock for
# ever) or the caller's output.
start_replica() {
	setsid pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$NAME" start </dev/null >/dev/null 2>&1 9>&-
}

lock() {
	exec 9>"$LOCK"
	flock -w 300 9 || { say "another set-up has held $LOCK for 5 minutes"; exit 1; }
}

up() {
	lock # one set-up at a time (test packages run in parallel)
	if exists; then
		if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
			start_replica || true
		fi
		# A standby that starts replays the log since its last restartpoint
		# before it answers: give it time before making a new one.
		if wait_healthy 120; then
			echo "$PORT"
			return 0
		fi
	fi
	create
	wait_healthy 60 || { say "the new replica does not stream; its log: /var/log/postgresql/postgresql-$VERSION-$NAME.log"; exit 1; }
	echo "$PORT"
}

case ${1:-} in
up) up ;;
status) healthy ;;
stop)
	lock
	if exists; then
		restartpoint
		pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$NAME" stop -m fast </dev/null >/dev/null 2>&1 9>&- || true
	fi
	;;
down)
	lock
	if exists; then pg_dropcluster --stop "$VERSION" "$NAME"; fi
	;;
*) echo "usage: $0 up|status|stop|down" >&2; exit 2 ;;
esac
