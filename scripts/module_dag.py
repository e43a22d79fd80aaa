#!/usr/bin/env python3
"""Checks that the `crate::` imports between outpost's top-level modules form
a DAG (issue 10): data flows one way, no module imports one above it.

A module is a file `src/X.rs` or a folder `src/X/`; an import is any
`crate::X` path in its code (comments and doc comments skipped). Prints the
edges and any cycle; exits 1 when there is a cycle.
    python3 scripts/module_dag.py [--edges]
"""
import pathlib, re, sys

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"

def module_of(path):
    rel = path.relative_to(SRC)
    return rel.parts[0][:-3] if len(rel.parts) == 1 else rel.parts[0]

def code_lines(text):
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("//"):
            continue
        yield line.split("//")[0]

def graph():
    edges = {}
    for path in SRC.rglob("*.rs"):
        m = module_of(path)
        if m in ("main", "lib"):
            continue
        deps = edges.setdefault(m, set())
        text = "\n".join(code_lines(path.read_text(encoding="utf-8")))
        # `crate::x` and `use crate::{x, y::z}`
        for dep in re.findall(r"crate::([a-z_]+)", text):
            if dep != m:
                deps.add(dep)
        for group in re.findall(r"crate::\{([^}]*)\}", text):
            for dep in re.findall(r"(?:^|,)\s*([a-z_]+)", group):
                if dep != m:
                    deps.add(dep)
    return edges

def find_cycle(edges):
    state, stack = {}, []
    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(edges.get(n, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                c = visit(d)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None
    for n in sorted(edges):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None

def command_crossings():
    """Imports from one command module in `src/cmd/` to another: commands
    share code through the layers below them, never through each other."""
    cmd = SRC / "cmd"
    names = {p.stem for p in cmd.glob("*.rs") if p.stem != "mod"}
    bad = []
    for path in sorted(cmd.glob("*.rs")):
        if path.stem == "mod":
            continue
        text = "\n".join(code_lines(path.read_text(encoding="utf-8")))
        for dep in set(re.findall(r"crate::cmd::([a-z_]+)", text)) | set(
            re.findall(r"super::([a-z_]+)", text)
        ):
            if dep in names and dep != path.stem:
                bad.append(f"cmd/{path.stem} -> cmd/{dep}")
    return bad

def main():
    edges = graph()
    if "--edges" in sys.argv:
        for m in sorted(edges):
            print(f"{m} -> {', '.join(sorted(edges[m]))}")
    cycle = find_cycle(edges)
    if cycle:
        print("module cycle: " + " -> ".join(cycle))
        sys.exit(1)
    crossings = command_crossings()
    if crossings:
        print("a command imports another: " + "; ".join(crossings))
        sys.exit(1)
    print(f"no module cycles among {len(edges)} modules; no command imports another")

if __name__ == "__main__":
    main()
