#!/usr/bin/env python3
"""A tiny stand-in for sbatch/squeue/sacct/scontrol/scancel (invoked through symlinks of those names).

Jobs run locally right away; state lives in $FAKE_SLURM_DIR. It speaks just the subset of the real commands'
output formats that `synvita.runs.executors.SlurmExecutor` uses. $FAKE_SLURM_NO_SACCT=1 makes sacct and
scontrol fail like a cluster without accounting whose controller forgot the job.
"""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

STATE = Path(os.environ["FAKE_SLURM_DIR"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def sbatch(args):
    script = Path(args[-1])
    text = script.read_text()
    out = re.search(r"^#SBATCH --output=(.+)$", text, re.M).group(1)
    err = re.search(r"^#SBATCH --error=(.+)$", text, re.M).group(1)
    STATE.mkdir(parents=True, exist_ok=True)
    counter = STATE / "counter"
    job_id = int(counter.read_text()) + 1 if counter.exists() else 1000
    counter.write_text(str(job_id))
    (STATE / f"{job_id}.script").write_text(text)
    proc = subprocess.Popen(
        [sys.executable, __file__, "_run", str(job_id), str(script), out.replace("%j", str(job_id)),
         err.replace("%j", str(job_id))],
        start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    (STATE / f"{job_id}.pid").write_text(str(proc.pid))
    print(job_id if "--parsable" in args else f"Submitted batch job {job_id}")


def _run(job_id, script, out, err):
    env = dict(os.environ, SLURM_JOB_ID=job_id)
    with open(out, "ab") as o, open(err, "ab") as e:
        rc = subprocess.call(["bash", script], stdout=o, stderr=e, env=env)
    (STATE / f"{job_id}.rc").write_text(str(rc))


def squeue(args):
    ids = args[args.index("-j") + 1].split(",")
    for job_id in ids:
        pid_file = STATE / f"{job_id}.pid"
        if pid_file.exists() and _alive(int(pid_file.read_text())) and not (STATE / f"{job_id}.rc").exists():
            print(f"{job_id}|RUNNING|None")


def sacct(args):
    if os.environ.get("FAKE_SLURM_NO_SACCT"):
        print("sacct: error: Slurm accounting storage is disabled", file=sys.stderr)
        sys.exit(1)
    job_id = args[args.index("-j") + 1]
    if (STATE / f"{job_id}.cancelled").exists():
        print("CANCELLED by 0|0:15")
    elif (STATE / f"{job_id}.rc").exists():
        rc = int((STATE / f"{job_id}.rc").read_text())
        print(f"{'COMPLETED' if rc == 0 else 'FAILED'}|{rc}:0")
    else:
        print("RUNNING|0:0")


def scontrol(args):
    print("slurm_load_jobs error: Invalid job id specified", file=sys.stderr)
    sys.exit(1)


def scancel(args):
    job_id = args[-1]
    (STATE / f"{job_id}.cancelled").write_text("1")
    pid = int((STATE / f"{job_id}.pid").read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    name = Path(sys.argv[0]).name
    if len(sys.argv) > 1 and sys.argv[1] == "_run":
        _run(*sys.argv[2:6])
    else:
        {"sbatch": sbatch, "squeue": squeue, "sacct": sacct, "scontrol": scontrol, "scancel": scancel}[name](sys.argv[1:])
