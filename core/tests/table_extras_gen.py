#!/usr/bin/env python3
"""Generate core/tests/fixtures/table_extras_{delta,dedup,merkle,evolution,gossip}.json
from the reference (crdt-merge==0.8.3): random keyed tables and texts, and the
reference's deltas (with golden wire bytes), dedup results, Merkle root hashes
and diffs, schema evolutions and gossip digests / anti-entropy outcomes.

Deterministic: run with PYTHONHASHSEED=0 (every input comes from seeded
random.Random instances; wall-clock timestamps are replaced by fixed ones).

    PYTHONHASHSEED=0 /work/main/conformance/.venv/bin/python core/tests/table_extras_gen.py
"""

import json
import os
import random

from crdt_merge import wire
from crdt_merge.delta import Delta, DeltaStore, apply_delta, compose_deltas, compute_delta
from crdt_merge.dedup import DedupIndex, _dice_similarity, dedup_list, dedup_records
from crdt_merge.gossip import GossipEntry, GossipState, anti_entropy
from crdt_merge.merkle import MerkleTree, compare_datasets, merkle_diff
from crdt_merge.strategies import LWW, Concat, LongestWins, MaxWins, MergeSchema, MinWins
from crdt_merge.schema_evolution import SchemaPolicy, check_compatibility, evolve_schema, widen_type

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")

COLS = ["name", "age", "score", "city", "note"]
NAMES = ["ann", "bob", "cy", "dee", "\u00e9mile", "fran", "gus"]
CITIES = ["Paris", "Oslo", "Lima", "Kyiv", ""]


def rand_value(rng, col):
    r = rng.random()
    if r < 0.08:
        return None
    if col == "name":
        return rng.choice(NAMES)
    if col == "age":
        return rng.randint(0, 90)
    if col == "score":
        return rng.choice([0.5, 1.25, 3.0, 99.9, -2.5, 1e20, 0.1])
    if col == "city":
        return rng.choice(CITIES)
    return rng.choice([True, False, "x", "hello world", 7, [1, 2], {"k": "v"}])


def rand_row(rng, key_val):
    row = {"id": key_val}
    for c in rng.sample(COLS, rng.randint(1, len(COLS))):
        row[c] = rand_value(rng, c)
    return row


def rand_table(rng, keys):
    return [rand_row(rng, k) for k in keys]


def mutate(rng, rows, key_pool):
    out = []
    for r in rows:
        x = rng.random()
        if x < 0.2:
            continue  # removed
        if x < 0.5:
            r = dict(r)
            c = rng.choice(COLS)
            r[c] = rand_value(rng, c)
        out.append(r)
    present = {r["id"] for r in out}
    for k in rng.sample(key_pool, rng.randint(0, 4)):
        if k not in present:
            out.append(rand_row(rng, k))
            present.add(k)
    return out


SCHEMA = MergeSchema(default=LWW(), age=MaxWins(), score=MinWins(), name=LongestWins(), city=Concat())


def delta_dict(d):
    return {"added": d.added, "modified": d.modified, "removed": d.removed, "version": d.version}


def gen_delta():
    rng = random.Random(11)
    cases = []
    for i in range(40):
        str_keys = i % 2 == 1
        pool = [f"k{j}" for j in range(12)] if str_keys else list(range(12))
        v0 = rand_table(rng, rng.sample(pool, rng.randint(0, 8)))
        v1 = mutate(rng, v0, pool)
        v2 = mutate(rng, v1, pool)
        v3 = mutate(rng, v2, pool)
        ts = 1_700_000_000.5 + i
        d1 = compute_delta(v0, v1, "id", version=1, source_node="n1")
        d1.timestamp = ts
        d2 = compute_delta(v1, v2, "id", version=2, source_node="n1")
        d2.timestamp = ts + 1
        d3 = compute_delta(v2, v3, "id", version=3, source_node="n1")
        d3.timestamp = ts + 2
        comp = compose_deltas(d1, d2, d3, key="id")
        case = {
            "v0": v0,
            "v1": v1,
            "v2": v2,
            "v3": v3,
            "d1": delta_dict(d1),
            "d1_wire": wire.serialize(d1).hex(),
            "d1_wire_z": wire.serialize(d1, compress=True).hex(),
            "apply_d1": apply_delta(v0, d1, "id"),
            "compose": {
                "added": comp.added,
                "modified": comp.modified,
                "removed": sorted(comp.removed),
                "version": comp.version,
            },
            "apply_compose": apply_delta(v0, comp, "id"),
            "apply_d1_schema": apply_delta(v0, d1, "id", schema=SCHEMA),
        }
        cases.append(case)
    # DeltaStore: ingest a sequence.
    rng = random.Random(12)
    pool = list(range(10))
    store = DeltaStore("id", node_id="store")
    seq = [rand_table(rng, rng.sample(pool, 5))]
    for _ in range(4):
        seq.append(mutate(rng, seq[-1], pool))
    outs = []
    for rows in seq:
        d = store.ingest(rows)
        outs.append(None if d is None else delta_dict(d))
    return {"schema": SCHEMA.to_dict(), "cases": cases, "store": {"inputs": seq, "deltas": outs, "version": store.version}}


def rand_text(rng):
    words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "data", "merge",
             "CRDT", "Hello", "world", "\u00fcber", "na\u00efve", "a", "I"]
    n = rng.randint(0, 7)
    t = " ".join(rng.choice(words) for _ in range(n))
    r = rng.random()
    if r < 0.15:
        t = t.upper()
    elif r < 0.25:
        t = "  " + t.replace(" ", "\t ") + "\n"
    return t


def near_dup(rng, t):
    if not t:
        return t
    chars = list(t)
    for _ in range(rng.randint(0, 2)):
        op = rng.random()
        p = rng.randrange(len(chars)) if chars else 0
        if op < 0.4 and chars:
            del chars[p]
        elif op < 0.7:
            chars.insert(p, rng.choice("abcxyz "))
        elif chars:
            chars[p] = rng.choice("abcxyz")
    return "".join(chars)


def gen_dedup():
    rng = random.Random(21)
    lists = []
    for _ in range(30):
        base = [rand_text(rng) for _ in range(rng.randint(1, 12))]
        items = []
        for _ in range(rng.randint(1, 30)):
            t = rng.choice(base)
            items.append(near_dup(rng, t) if rng.random() < 0.5 else t)
        th = rng.choice([0.85, 0.85, 0.7, 0.5, 0.95, 1.0])
        u_e, d_e = dedup_list(items, method="exact")
        u_f, d_f = dedup_list(items, method="fuzzy", threshold=th)
        lists.append({"items": items, "threshold": th, "exact_dups": d_e, "fuzzy_dups": d_f})
    sims = []
    for _ in range(200):
        a, b = rand_text(rng), rand_text(rng)
        if rng.random() < 0.5:
            b = near_dup(rng, a)
        sims.append({"a": a, "b": b, "dice": _dice_similarity(a, b)})
    recs = []
    for _ in range(15):
        rows = [rand_row(rng, rng.randint(0, 5)) for _ in range(rng.randint(1, 12))]
        rows = [dict(r, name=rng.choice(NAMES)) for r in rows]
        cols = rng.choice([None, ["name"], ["name", "city"], []])
        u_e, n_e = dedup_records(rows, columns=cols, method="exact")
        u_f, n_f = dedup_records(rows, columns=cols, method="fuzzy", threshold=0.8)
        recs.append({"rows": rows, "columns": cols, "exact": u_e, "exact_removed": n_e,
                     "fuzzy": u_f, "fuzzy_removed": n_f})
    # DedupIndex: add_exact / add_fuzzy answers along a sequence.
    idx = DedupIndex()
    seq = []
    for _ in range(60):
        t = rand_text(rng)
        if rng.random() < 0.5:
            is_new = idx.add_exact(t)
            seq.append({"op": "exact", "text": t, "new": is_new})
        else:
            is_new, _ = idx.add_fuzzy(t, 0.85)
            seq.append({"op": "fuzzy", "text": t, "new": is_new})
    return {"lists": lists, "similarities": sims, "records": recs, "index_seq": seq}


def gen_merkle():
    rng = random.Random(31)
    cases = []
    for i in range(40):
        keys = rng.sample(range(60), rng.randint(0, 40))
        a = rand_table(rng, keys)
        b = [dict(r) for r in a if rng.random() < 0.85]
        for r in b:
            if rng.random() < 0.15:
                c = rng.choice(COLS)
                r[c] = rand_value(rng, c)
        for k in rng.sample(range(60, 80), rng.randint(0, 3)):
            b.append(rand_row(rng, k))
        bf = rng.choice([2, 3, 4, 16])
        ta = MerkleTree.from_records(a, key="id", branching_factor=bf)
        tb = MerkleTree.from_records(b, key="id", branching_factor=bf)
        d = merkle_diff(ta, tb)
        cases.append({
            "a": a, "b": b, "branching_factor": bf,
            "root_a": ta.root_hash, "root_b": tb.root_hash,
            "height_a": ta.height,
            "hashes_a": dict(ta._records),
            "diff": d.to_dict(),
            "wire_a": wire.serialize(ta).hex(),
        })
    # insert() with its key-column guess
    t = MerkleTree()
    ins = []
    for j in range(10):
        rec = {"id": j, "v": j * 2} if j % 3 else {"code": f"c{j}", "v": j}
        key = str(j) if j % 3 else f"c{j}"
        t.insert(key, rec)
        ins.append({"key": key, "record": rec, "hash": t.get_hash(key)})
    return {"cases": cases, "insert": {"steps": ins, "root": t.root_hash}}


TYPES = ["int32", "int64", "float32", "float64", "int", "float", "str", "bool"]


def gen_evolution():
    rng = random.Random(41)
    cols = ["a", "b", "c", "d", "e", "f"]
    cases = []
    for _ in range(60):
        old = {c: rng.choice(TYPES) for c in rng.sample(cols, rng.randint(0, 5))}
        new = {c: rng.choice(TYPES) for c in rng.sample(cols, rng.randint(0, 5))}
        for c in old:
            if c in new and rng.random() < 0.4:
                new[c] = old[c]
        defaults = {c: rng.choice([0, "x", None, 1.5]) for c in rng.sample(cols, 2)}
        pol = rng.choice(list(SchemaPolicy))
        narrow = rng.random() < 0.3
        r = evolve_schema(old, new, pol, defaults=defaults, allow_type_narrowing=narrow)
        ok, reasons = check_compatibility(old, new)
        cases.append({
            "old": old, "new": new, "defaults": defaults, "policy": pol.value,
            "narrow": narrow, "result": r.to_dict(),
            "wire": wire.serialize(r).hex() if hasattr(r, "to_dict") else None,
            "compatible": ok, "reasons": reasons,
        })
    widen = [[a, b, widen_type(a, b)] for a in TYPES for b in TYPES]
    return {"cases": cases, "widen": widen}


def clock_of(gs):
    return gs.clock.to_dict()["clocks"]


def gen_gossip():
    rng = random.Random(51)
    scenarios = []
    for s in range(25):
        nodes = [GossipState(f"n{i}") for i in range(rng.randint(2, 3))]
        ops = []
        for _ in range(rng.randint(1, 15)):
            n = rng.randrange(len(nodes))
            k = rng.choice(["a", "b", "c", "d"])
            if rng.random() < 0.75:
                v = rng.choice([1, 2, "x", "yy", None, 2.5, [1], {"z": 1}])
                nodes[n].update(k, v)
                ops.append(["update", n, k, v])
            else:
                nodes[n].delete(k)
                ops.append(["delete", n, k])
            if rng.random() < 0.3:
                x, y = rng.sample(range(len(nodes)), 2)
                dx, dy = nodes[x].digest(), nodes[y].digest()
                push = sorted(nodes[x].anti_entropy_push(dy))
                ents = nodes[x].get_entries(set(push))
                ents.sort(key=lambda e: e.key)
                applied = nodes[y].apply_entries(ents)
                ops.append(["send", x, y, push, applied])
        digests = [n.digest() for n in nodes]
        ae = anti_entropy(digests[0], digests[1])
        scenarios.append({
            "ops": ops,
            "digests": digests,
            "entries": [{k: e.to_dict() for k, e in n._entries.items()} for n in nodes],
            "clocks": [clock_of(n) for n in nodes],
            "anti_entropy_01": ae,
            "wire_0": wire.serialize(nodes[0]).hex(),
        })
    return {"scenarios": scenarios}


def dump(name, obj):
    path = os.path.join(FIX, f"table_extras_{name}.json")
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    dump("delta", gen_delta())
    dump("dedup", gen_dedup())
    dump("merkle", gen_merkle())
    dump("evolution", gen_evolution())
    dump("gossip", gen_gossip())
