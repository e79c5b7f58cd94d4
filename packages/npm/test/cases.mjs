// Conformance runner shared by the Node tests and the browser test: runs one
// case of conformance/manifest.json against an API object. `read(path)`
// returns the bytes of a golden file; `inflate(bytes)` (optional) inflates a
// zlib stream, for comparing compressed frames written by C zlib.

function canon(x) {
  if (Array.isArray(x)) return '[' + x.map(canon).join(',') + ']';
  if (x && typeof x === 'object') {
    return '{' + Object.keys(x).sort().map((k) => JSON.stringify(k) + ':' + canon(x[k])).join(',') + '}';
  }
  return JSON.stringify(x);
}

function sameJSON(a, b, what) {
  const ca = canon(a);
  const cb = canon(b);
  if (ca !== cb) throw new Error(`${what}: views differ\n  got:      ${ca.slice(0, 400)}\n  expected: ${cb.slice(0, 400)}`);
}

function sameBytes(a, b, what) {
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
    throw new Error(`${what}: bytes differ (${a.length} vs ${b.length} bytes)`);
  }
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

/** Compare a re-encoded frame with the golden one. */
function sameFrame(api, ours, golden, c, inflate) {
  if (!c.compressed) return sameBytes(ours, golden, `${c.name}: re-encoded frame`);
  // Our deflater is miniz_oxide, not C zlib: compare the header without the
  // length field and the inflated payloads, and check our frame decodes back.
  sameBytes(ours.subarray(0, 8), golden.subarray(0, 8), `${c.name}: header`);
  check(api.wireSize(ours).compressed, `${c.name}: our frame should be compressed`);
  if (inflate) sameBytes(inflate(ours.subarray(12)), inflate(golden.subarray(12)), `${c.name}: inflated payload`);
  const back = api.deserialize(ours);
  sameJSON(back.toJSON(), c.view, `${c.name}: our compressed frame`);
  back.free();
}

export function runCase(api, c, read, inflate) {
  if (c.kind === 'roundtrip') {
    const bytes = read(c.file);
    check(api.peekType(bytes) === c.type, `${c.name}: peekType`);
    if (c.ref_api && c.ref_api.wire_size) sameJSON(api.wireSize(bytes), c.ref_api.wire_size, `${c.name}: wireSize`);
    const obj = api.deserialize(bytes);
    try {
      check(obj.type === c.type, `${c.name}: type ${obj.type}`);
      sameJSON(obj.toJSON(), c.view, c.name);
      if (c.bytes_exact) sameFrame(api, api.serialize(obj, c.compressed), bytes, c, inflate);
      // the view rebuilds an equal object
      // the view rebuilds an equal object (exact JSON text: ints beyond 2^53 survive)
      const again = api.CrdtObject.fromJSON(obj.toJSONString());
      sameJSON(again.toJSON(), c.view, `${c.name}: fromJSON`);
      again.free();
    } finally {
      obj.free();
    }
  } else if (c.kind === 'merge') {
    const a = api.deserialize(read(c.inputs[0]));
    const b = api.deserialize(read(c.inputs[1]));
    try {
      const ab = a.merge(b);
      const ba = b.merge(a);
      // our merge obeys the laws: both orders agree
      sameJSON(ab.toJSON(), ba.toJSON(), `${c.name}: commutativity`);
      // idempotency on the state (the core's equality; a Bloom's count is informational)
      if (c.inputs[0] === c.inputs[1]) check(ab.equals(a), `${c.name}: idempotency`);
      if (c.law_safe) {
        sameJSON(ab.toJSON(), c.view, c.name);
        if (c.bytes_exact) sameBytes(api.serialize(ab), read(c.expected), `${c.name}: merged frame`);
      } else {
        check(typeof c.deviation === 'string', `${c.name}: deviation case without id`);
        if (c.law === 'commutativity') check(canon(c.view) !== canon(c.view_ba), `${c.name}: reference should break commutativity`);
      }
      ab.free();
      ba.free();
    } finally {
      a.free();
      b.free();
    }
  } else if (c.kind === 'batch') {
    const bytes = read(c.file);
    const objs = api.deserializeBatch(bytes);
    try {
      check(objs.length === c.frame_types.length, `${c.name}: frame count`);
      objs.forEach((o, i) => {
        check(o.type === c.frame_types[i], `${c.name}: frame ${i} type`);
        sameJSON(o.toJSON(), c.view[i], `${c.name}: frame ${i}`);
      });
      if (c.bytes_exact && !c.compressed) sameBytes(api.serializeBatch(objs), bytes, `${c.name}: re-encoded batch`);
    } finally {
      objs.forEach((o) => o.free());
    }
  } else if (c.kind === 'bad') {
    const bytes = read(c.file);
    let err = null;
    try {
      if (c.type === 'batch') api.deserializeBatch(bytes);
      else api.deserialize(bytes);
    } catch (e) {
      err = e;
    }
    check(err !== null, `${c.name}: decoding should fail`);
    check(err instanceof api.CrdtMergeError, `${c.name}: expected CrdtMergeError, got ${err}`);
    check(c.errors.includes(err.code), `${c.name}: code ${err.code} not in ${c.errors.join(', ')} (${err.message})`);
  } else {
    throw new Error(`${c.name}: unknown kind ${c.kind}`);
  }
}
