"""Contains `synvita diff RUN_A RUN_B`: changed config keys and result/metric deltas between two runs."""

from __future__ import annotations

import json

from synvita.cli._utils import JsonOpt, RunIdArg, get_api, lines_out, print_json


def diff(run_a: RunIdArg, run_b: RunIdArg, json_output: JsonOpt = False) -> None:
    """What differs between two runs: attributes, config keys, benchmark results and latest metrics (b − a)."""
    d = get_api().diff(run_a, run_b)
    if json_output:
        print_json(d.to_dict())
        return
    lines = [f"a = {d.run_a}   b = {d.run_b}"]
    if d.fields or d.config:
        lines += ["", "changed"]
        lines += [f"  {k:<28} {json.dumps(a, default=str)} → {json.dumps(b, default=str)}" for k, a, b in d.fields + d.config]
    else:
        lines += ["", "same config"]

    def numbers(title: str, rows: list) -> None:
        if not rows:
            return
        lines.extend(["", title])
        for key, a, b, delta in rows:
            fa = "—" if a is None else f"{a:.4g}"
            fb = "—" if b is None else f"{b:.4g}"
            fd = "" if delta is None else "=" if delta == 0 else f"{'↑' if delta > 0 else '↓'}{abs(delta):.4g}"
            lines.append(f"  {key:<40} {fa:>10} {fb:>10} {fd:>10}")

    if d.environment:
        lines += ["", "environment (env.json)"]
        lines += [f"  {k:<28} {json.dumps(a, default=str)} → {json.dumps(b, default=str)}" for k, a, b in d.environment]
    numbers("results", d.results)
    numbers("latest metrics", d.metrics)
    lines_out(lines)
