"""Runs under the reference's venv (crdt-merge==0.8.3): builds every scenario,
serializes it, and reads back the frames our side wrote (stdin). Prints JSON."""
import json
import sys

import crdt_merge as M

sys.path.insert(0, sys.argv[1])
from scenarios import CONTEXT_CASES, MERGES, SCENARIOS, agents, context_merge  # noqa: E402


def enc(v):  # the canonical-view value encoding (wire-spec SPEC.md section 4)
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return {"$float": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, (set, frozenset)):
        return {"$set": sorted((enc(x) for x in v), key=repr)}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v):
            return {k: enc(x) for k, x in v.items()}
        return {"$map": [[enc(k), enc(x)] for k, x in v.items()]}
    return v


ours = json.loads(sys.stdin.read() or "{}")
out = {"frames": {}, "frames_z": {}, "merged": {}, "read_ours": {}, "batch": None}
for name, f in SCENARIOS.items():
    out["frames"][name] = M.serialize(f(M)).hex()
    out["frames_z"][name] = M.serialize(f(M), compress=True).hex()
for name, (fa, fb) in MERGES.items():
    out["merged"][name] = enc(fa(M).merge(fb(M)).to_dict())
for name, hexframe in ours.get("frames", {}).items():
    obj = M.deserialize(bytes.fromhex(hexframe))
    out["read_ours"][name] = {"type": type(obj).__name__, "dict": enc(obj.to_dict())}
if "batch" in ours:
    out["read_batch"] = [enc(o.to_dict()) for o in M.deserialize_batch(bytes.fromhex(ours["batch"]))]
a, b = agents(M)
out["agent_frames"] = [M.serialize(a).hex(), M.serialize(b).hex()]
out["agent_dicts"] = [enc(a.to_dict()), enc(b.to_dict())]
out["agent_rebuilt"] = [M.serialize(M.AgentState.from_dict(x.to_dict())).hex() for x in (a, b)]
out["read_our_agents"] = []
for h in ours.get("agent_frames", []):
    st = M.AgentState.from_dict(M.deserialize(bytes.fromhex(h)))
    out["read_our_agents"].append({k: enc(f.to_dict()) for k, f in st.list_facts().items()})
out["context"] = [context_merge(M, *c) for c in CONTEXT_CASES]
out["batch"] = M.serialize_batch([f(M) for f in SCENARIOS.values()]).hex()
print(json.dumps(out))
