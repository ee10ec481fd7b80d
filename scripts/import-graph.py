#!/usr/bin/env python3
"""The workspace's import graph, read from the code's `use` lines and paths.

Every Rust file of src/, crates/*/src and flavors/*/src is a node; an edge
A -> B means file A names an item of file B (`use crate::x::y`, `super::z`,
`mlflowrs_protocol::...`, or such a path inline). It checks that:

  * no two files import each other, and the graph has no circle at all
    (so the files fall into layers that import only downward);
  * the same holds between crates and between the top-level modules of
    each crate.

A `mod.rs` / `lib.rs` that re-exports a child (`pub use child::Item`) is a
facade, not a dependency of its own, and is not counted as importing it.

    scripts/import-graph.py            # check; exits 1 and names each circle
    scripts/import-graph.py --layers   # also print the files layer by layer
"""

import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def crates():
    """(crate ident, src dir) of every workspace crate."""
    out = [("mlflowrs", os.path.join(ROOT, "src"))]
    for parent in ("crates", "flavors"):
        for name in sorted(os.listdir(os.path.join(ROOT, parent))):
            src = os.path.join(ROOT, parent, name, "src")
            if os.path.isdir(src):
                out.append((name.replace("-", "_"), src))
    return out


def module_path(src, path):
    """Module path (list) of a file inside its crate's src dir."""
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    # String literals can hold `crate::` in messages.
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    # Inline unit-test modules (`#[cfg(test)] mod tests { use super::*; }`)
    # sit at the end of a file and are not part of its layering.
    m = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
    return text[: m.start()] if m else text


def expand(tree):
    """`a::{b, c::{d, e}}` into ['a::b', 'a::c::d', 'a::c::e']."""
    tree = tree.strip()
    m = re.match(r"^(.*?)\{(.*)\}$", tree, flags=re.S)
    if not m:
        return [tree.split(" as ")[0].strip()]
    prefix, inner = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if p.strip():
            out.extend(expand(prefix + p.strip()))
    return out


def main():
    files = {}  # (crate, tuple(module path)) -> display path
    sources = {}
    for crate, src in crates():
        for d, _, names in os.walk(src):
            for n in names:
                if n.endswith(".rs"):
                    p = os.path.join(d, n)
                    key = (crate, tuple(module_path(src, p)))
                    files[key] = os.path.relpath(p, ROOT)
                    sources[key] = open(p, encoding="utf-8").read()
    crate_names = {c for c, _ in crates()}

    # What each facade re-exports: (facade, item) -> the child's path.
    reexports = {}
    for key, text in sources.items():
        if os.path.basename(files[key]) not in ("mod.rs", "lib.rs"):
            continue
        for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", strip_comments(text)):
            for p in expand(m.group(1)):
                segs = [s for s in p.split("::") if s]
                if segs and segs[0] not in ("crate", "super", "self") and segs[0] not in crate_names:
                    reexports[(key, segs[-1])] = list(key[1]) + segs

    def resolve(crate, parts, hops=0):
        """The file that defines what `parts` (absolute in `crate`) names,
        following a facade's re-export to the child that defines it."""
        for n in range(len(parts), -1, -1):
            key = (crate, tuple(parts[:n]))
            if key in files:
                item = parts[n] if n < len(parts) else None
                child = reexports.get((key, item))
                if child and hops < 8:
                    return resolve(crate, child, hops + 1)
                return key
        return None

    edges = {k: set() for k in files}
    for key, text in sources.items():
        crate, here = key
        is_facade = os.path.basename(files[key]) in ("mod.rs", "lib.rs")
        text = strip_comments(text)
        paths = []
        for m in re.finditer(r"\b(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", text):
            for p in expand(m.group(2)):
                paths.append((p, bool(m.group(1))))
        # Paths outside `use` lines (the `use` lines are read above).
        body = re.sub(r"\b(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", "", text)
        for m in re.finditer(r"(?<![:\w])((?:crate|super|mlflowrs_\w+)(?:::\w+)+)", body):
            paths.append((m.group(1), False))
        # Inline paths through a child module (`experiments::ensure_default(…)`).
        for m in re.finditer(r"(?<![:\w.])([a-z_][a-z0-9_]*)((?:::\w+)+)", body):
            if (crate, here + (m.group(1),)) in files:
                paths.append((m.group(1) + m.group(2), False))
        for p, public in paths:
            segs = [s for s in p.split("::") if s and s != "*"]
            if not segs:
                continue
            head = segs[0]
            if head == "crate":
                target = resolve(crate, segs[1:])
            elif head == "super" or head == "self":
                base = list(here)
                i = 0
                while i < len(segs) and segs[i] in ("super", "self"):
                    if segs[i] == "super":
                        base = base[:-1]
                    i += 1
                target = resolve(crate, base + segs[i:])
            elif head in crate_names and head != crate:
                target = resolve(head, segs[1:])
            elif head in [s for s in (here[-1:] if here else [])]:
                target = None
            else:
                # `use child::x` inside a mod.rs: relative to this module.
                target = resolve(crate, list(here) + segs) if (crate, tuple(list(here) + segs[:1])) in files else None
            if target is None or target == key:
                continue
            # A facade's `pub use child::...` exposes its child; it does not depend on it.
            if is_facade and public and target[1][: len(here)] == here:
                continue
            edges[key].add(target)

    failures = []
    name = lambda k: files[k]

    def circles(nodes, adj):
        index, low, stack, on, out = {}, {}, [], set(), []
        counter = [0]
        sys.setrecursionlimit(10000)

        def visit(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in adj.get(v, ()):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(comp)

        for v in nodes:
            if v not in index:
                visit(v)
        return out

    for comp in circles(list(files), edges):
        failures.append("files import each other: " + ", ".join(sorted(name(k) for k in comp)))

    def coarse(level):
        adj = {}
        for a, targets in edges.items():
            for b in targets:
                ga, gb = level(a), level(b)
                if ga != gb:
                    adj.setdefault(ga, set()).add(gb)
        nodes = set(adj) | {x for t in adj.values() for x in t}
        return nodes, adj

    for label, level in (
        ("crates", lambda k: k[0]),
        ("top-level modules", lambda k: k[0] + "::" + (k[1][0] if k[1] else "")),
    ):
        nodes, adj = coarse(level)
        for comp in circles(sorted(nodes), adj):
            failures.append(f"{label} import each other: " + ", ".join(sorted(comp)))

    if "--layers" in sys.argv:
        layer = {}

        def depth(k, seen=()):
            if k in layer:
                return layer[k]
            if k in seen:
                return 0
            layer[k] = 1 + max((depth(t, seen + (k,)) for t in edges[k]), default=0)
            return layer[k]

        for k in files:
            depth(k)
        for d in sorted(set(layer.values()), reverse=True):
            print(f"layer {d}: " + " ".join(sorted(name(k) for k in files if layer[k] == d)))

    n_edges = sum(len(t) for t in edges.values())
    if failures:
        print("\n".join(failures))
        print(f"{len(failures)} circle(s) in {len(files)} files, {n_edges} imports")
        sys.exit(1)
    print(f"import graph: {len(files)} files, {n_edges} imports, no circle")


if __name__ == "__main__":
    main()
