"""The processor and GPUs a process sees, for `env.json`: the CPU model and the cores this process may use; the GPU
model(s) and count, driver and CUDA versions, or "none".

The worker records them when it prepares a run directory, and the stage process records the GPUs again, with its
torch thread count, when its stage ends (`record_stage_hardware`): under Slurm only the stage process runs on the
node that has the GPUs, and only there may torch already be imported.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

ENV_FILE = "env.json"


@lru_cache(maxsize=1)
def cpu_info() -> dict[str, Any]:
    """The CPU model (from /proc/cpuinfo on Linux, else what `platform` says) and core counts: `cores` this process
    may run on (its affinity: a Slurm job's allocation, a container's limit) and `cores_online` on the machine."""
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"model": model or platform.processor() or None, "cores": usable, "cores_online": os.cpu_count()}


@lru_cache(maxsize=1)
def gpu_info() -> dict[str, Any] | str:
    """GPU model(s) and count, driver and CUDA versions, or "none".

    Torch answers only when it is already imported in this process (a stage that used it): importing it here would
    cost seconds in a worker or CLI that never needs it. Otherwise `nvidia-smi` answers; its CUDA version is the newest the
    driver supports."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        smi = _nvidia_smi() or {}
        return {"count": len(names), "models": names, "driver": smi.get("driver"), "cuda": torch.version.cuda,
                "source": "torch"}
    return _nvidia_smi() or "none"


def _nvidia_smi() -> dict[str, Any] | None:
    """GPUs as `nvidia-smi` lists them; None without the tool or a GPU."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return None
    try:
        query = subprocess.run(
            [tool, "--query-gpu=name,driver_version", "--format=csv,noheader"], capture_output=True, text=True, timeout=10
        )
        header = subprocess.run([tool], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    rows = [[part.strip() for part in line.split(",")] for line in query.stdout.splitlines() if line.strip()]
    if query.returncode != 0 or not rows:
        return None
    cuda = re.search(r"CUDA Version:\s*([\d.]+)", header.stdout)
    return {"count": len(rows), "models": [r[0] for r in rows], "driver": rows[0][1] if len(rows[0]) > 1 else None,
            "cuda": cuda.group(1) if cuda else None, "source": "nvidia-smi"}


def record_stage_hardware(run_dir: str | Path) -> None:
    """Replace `gpu` in the run's env.json with what this process sees, and add the stage's torch thread count
    (`torch_threads`: it decides the order of floating-point sums, so two runs are bit-equal only with equal counts);
    a missing or unreadable file is left alone (the stage's own outcome matters more than this record)."""
    path = Path(run_dir) / ENV_FILE
    try:
        env = json.loads(path.read_text())
        env["gpu"] = gpu_info()
        torch = sys.modules.get("torch")
        if torch is not None:
            env["torch_threads"] = torch.get_num_threads()
        tmp = path.with_name(ENV_FILE + ".tmp")
        tmp.write_text(json.dumps(env, indent=2, sort_keys=True))
        tmp.replace(path)
    except (OSError, ValueError):
        return
