#!/usr/bin/env bash
# Start a real single-node Slurm (Debian bookworm packages, no systemd) for tests/slurm/ — see ../shared/SLURM.md.
#   sudo SLURM_CI_DIR=/tmp/slurm-ci scripts/slurm-up.sh      # WITH_DBD=1 adds slurmdbd + MariaDB (sacct)
#   sudo SLURM_CI_DIR=/tmp/slurm-ci scripts/slurm-down.sh
# Needs root and the Debian mirror. synvita's Slurm executor works without accounting (it falls back to
# `scontrol show job` and an exit-code file), so the default skips MariaDB and comes up in ~10 s.
set -euo pipefail
WITH_DBD=${WITH_DBD:-0}
BASE=${SLURM_CI_DIR:-/tmp/slurm-ci}
export DEBIAN_FRONTEND=noninteractive
[ "$(id -u)" = 0 ] || { echo "slurm-up.sh: needs root (it installs packages and starts daemons)" >&2; exit 2; }

PKGS="slurmctld slurmd slurm-client munge"
[ "$WITH_DBD" = 1 ] && PKGS="$PKGS slurmdbd mariadb-server"
if ! dpkg -s $PKGS >/dev/null 2>&1; then
  # keep package postinst scripts from starting daemons of their own
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
fi

if command -v scontrol >/dev/null 2>&1 && timeout 10 scontrol ping 2>/dev/null | grep -q "is UP"; then
  echo "slurm-up.sh: a Slurm controller is already up; nothing to do" >&2
  sinfo
  exit 0
fi

H=$(hostname -s)
mkdir -p "$BASE"/{state,spool,log} /etc/slurm
NODELINE=$(slurmd -C 2>/dev/null | head -1 | sed -E 's/RealMemory=[0-9]+/RealMemory=2048/')
[ -n "$NODELINE" ] || NODELINE="NodeName=$H CPUs=$(nproc) RealMemory=2048"
if [ "$WITH_DBD" = 1 ]; then
  ACCT=$'AccountingStorageType=accounting_storage/slurmdbd\nAccountingStorageHost=localhost\nAccountingStoragePort=6819'
else
  ACCT="AccountingStorageType=accounting_storage/none"
fi
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=10
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
ReturnToService=2
SlurmctldPidFile=$BASE/state/slurmctld.pid
SlurmdPidFile=$BASE/state/slurmd.pid
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
$ACCT
MinJobAge=300
KillWait=5
InactiveLimit=0
Waittime=0
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
$NODELINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP PriorityTier=1
PartitionName=high Nodes=ALL MaxTime=INFINITE State=UP PriorityTier=10
CONF

PIDS="$BASE/state/pids"; : > "$PIDS"
[ -s /etc/munge/munge.key ] || { mungekey -c 2>/dev/null || /usr/sbin/create-munge-key -f; chown munge:munge /etc/munge/munge.key; }
install -d -o munge -g munge -m 755 /run/munge
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  echo "munged already running; reusing it" >&2   # e.g. a second run of this script
else
  runuser -u munge -- /usr/sbin/munged
  echo "munged $(cat /run/munge/munged.pid)" >> "$PIDS"
fi

if [ "$WITH_DBD" = 1 ]; then
  install -d -o mysql -g mysql /run/mysqld
  [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql >/dev/null
  /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 --pid-file=/run/mysqld/mysqld.pid > "$BASE/log/mariadb.log" 2>&1 &
  for _ in $(seq 1 120); do mysqladmin ping >/dev/null 2>&1 && break; sleep 0.25; done
  echo "mariadbd $(cat /run/mysqld/mysqld.pid)" >> "$PIDS"
  mysql -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmpw'; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
LogFile=$BASE/log/slurmdbd.log
PidFile=$BASE/state/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
CONF
  chmod 600 /etc/slurm/slurmdbd.conf
  /usr/sbin/slurmdbd
  for _ in $(seq 1 120); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.25; done
  echo "slurmdbd $(cat "$BASE/state/slurmdbd.pid")" >> "$PIDS"
  sacctmgr -i add cluster ci >/dev/null 2>&1 || true
fi

/usr/sbin/slurmctld -c
/usr/sbin/slurmd
for _ in $(seq 1 120); do [ "$(sinfo -h -o %T 2>/dev/null | sort -u)" = idle ] && break; sleep 0.25; done
echo "slurmctld $(cat "$BASE/state/slurmctld.pid")" >> "$PIDS"
echo "slurmd $(cat "$BASE/state/slurmd.pid")" >> "$PIDS"
sinfo
