"""Two agents learn facts separately, then merge what they remember."""
from crdt_merge_rs import AgentState, ContextMerge, SharedKnowledge, deserialize, serialize

alice, bob = AgentState("alice"), AgentState("bob")
alice.add_fact("capital_fr", "Paris", confidence=0.9, timestamp=1.0)
bob.add_fact("capital_fr", "Paris, France", confidence=0.95, timestamp=2.0)  # higher confidence wins
bob.add_tag("geography")
alice.increment("queries", 3)

bob_again = AgentState.from_dict(deserialize(serialize(bob)))  # bob's state travels as bytes
shared = SharedKnowledge.merge(alice, bob_again)
print(shared.get_fact("capital_fr").value, sorted(shared.tags), shared.counter_value("queries"))

memories = ContextMerge(strategy="max_confidence", budget=2).merge(
    [{"fact": "water boils at 100C", "confidence": 0.7, "source": "alice", "ts": 1.0}],
    [{"fact": "water boils at 100C", "confidence": 0.95, "source": "bob", "ts": 2.0}, {"fact": "ice floats", "ts": 3.0}])
print(len(memories.memories), memories.memories[1]["confidence"], memories.manifest.duplicates_removed)
