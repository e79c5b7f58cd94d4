// Two agents learn facts independently, then merge their memories (TypeScript).
import { AgentState, ContextMerge } from 'crdt-merge-wasm';

const alice = new AgentState('alice');
const bob = new AgentState('bob');
alice.addFact('capital:fr', 'Paris', 0.9, 100);
bob.addFact('capital:fr', 'Paris', 0.95, 120);
bob.addFact('capital:de', 'Berlin', 0.8, 110);
const shared: AgentState = alice.merge(bob);
console.log('facts:', Object.keys(shared.listFacts()).join(', '));

const cm = new ContextMerge({ strategy: 'max_confidence', minConfidence: 0.5 });
const { memories, manifest } = cm.merge(
  [{ fact: 'The sky is blue', confidence: 0.9, source: 'alice', ts: 1 }],
  [{ fact: 'The sky is blue', confidence: 0.7, source: 'bob', ts: 2 }, { fact: 'Water is wet', confidence: 0.6, source: 'bob', ts: 3 }],
);
console.log('memories:', memories.map((m) => `${m.fact} (${m.confidence})`).join('; '));
console.log(`manifest: ${manifest.total_memories} in, ${manifest.unique_memories} unique`);
