import assert from "node:assert/strict";
import { test } from "node:test";
import { CompactTable, HEADER_WORDS, hash32, hash64 } from "./compact-table.js";

const key = new Uint32Array(2);
const keyOf = (t: CompactTable, name: string): [number, number] => {
  t.hashKey(name, key);
  return [key[0] as number, key[1] as number];
};

/** Deterministic PRNG for the model test. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("hashes are seeded, stable and never the empty marker", () => {
  const a = new Uint32Array(2);
  const b = new Uint32Array(2);
  hash64("alice@example.net", 1, a);
  hash64("alice@example.net", 1, b);
  assert.deepEqual(a, b);
  hash64("alice@example.net", 2, b);
  assert.notDeepEqual(a, b);
  hash64("", 0, a);
  assert.ok(a[0] !== 0 || a[1] !== 0);
  assert.notEqual(hash32("", 0), 0);
  assert.notEqual(hash32("AS64501", 7), hash32("AS64502", 7));
});

test("behaves like a map under random inserts, updates and removals, growing as needed", () => {
  const t = new CompactTable({ valueWords: 2, maxEntries: 100_000, initialCapacity: 16, seed: 42 });
  const model = new Map<string, number>();
  const rnd = prng(7);
  for (let i = 0; i < 20_000; i++) {
    const name = `user${Math.floor(rnd() * 3000)}@example.net`;
    const [hi, lo] = keyOf(t, name);
    if (rnd() < 0.25) {
      assert.equal(t.remove(hi, lo), model.delete(name));
    } else {
      const b = t.upsert(hi, lo, 1000 + i);
      assert.equal(t.created, !model.has(name));
      const v = (model.get(name) ?? 0) + 1;
      t.words[b + HEADER_WORDS] = v;
      model.set(name, v);
    }
    assert.equal(t.size, model.size);
  }
  for (const [name, v] of model) {
    const [hi, lo] = keyOf(t, name);
    const b = t.find(hi, lo);
    assert.ok(b >= 0, name);
    assert.equal(t.words[b + HEADER_WORDS], v);
  }
  assert.ok(t.capacity >= 16 && t.size <= t.capacity * 0.75);
});

test("at the cap, inserting evicts a least recently seen entry, never a fresh one", () => {
  const t = new CompactTable({ valueWords: 1, maxEntries: 1000, seed: 1 });
  for (let i = 0; i < 5000; i++) {
    const [hi, lo] = keyOf(t, `u${i}`);
    t.upsert(hi, lo, i);
  }
  assert.equal(t.size, 1000);
  assert.equal(t.overflowEvictions, 4000);
  assert.equal(t.capacity, 2048, "never grows past what maxEntries needs");
  // The newest entries are all there.
  for (let i = 4990; i < 5000; i++) assert.ok(t.find(...keyOf(t, `u${i}`)) >= 0);
});

test("evicts idle entries and keeps the rest findable", () => {
  const t = new CompactTable({ valueWords: 1, maxEntries: 10_000, seed: 3 });
  for (let i = 0; i < 4000; i++) t.upsert(...keyOf(t, `u${i}`), i % 2 === 0 ? 10 : 500);
  assert.equal(t.evictIdle(100), 2000);
  assert.equal(t.size, 2000);
  for (let i = 0; i < 4000; i++) assert.equal(t.find(...keyOf(t, `u${i}`)) >= 0, i % 2 === 1, `u${i}`);
});

test("a snapshot restores the same entries, words and seed (through JSON)", () => {
  const t = new CompactTable({ valueWords: 3, maxEntries: 200_000 });
  for (let i = 0; i < 70_000; i++) {
    const b = t.upsert(...keyOf(t, `user${i}@example.net`), i);
    t.words[b + HEADER_WORDS] = i;
    t.words[b + HEADER_WORDS + 2] = 0xffffffff - i;
  }
  const s = JSON.parse(JSON.stringify(t.snapshot()));
  assert.equal(s.chunks.length, 2, "chunked: no single huge string");
  const r = CompactTable.from(s, { valueWords: 3, maxEntries: 200_000 });
  assert.equal(r.seed, t.seed);
  assert.equal(r.size, 70_000);
  for (let i = 0; i < 70_000; i += 997) {
    const b = r.find(...keyOf(r, `user${i}@example.net`));
    assert.ok(b >= 0);
    assert.equal(r.words[b + HEADER_WORDS], i);
    assert.equal(r.words[b + HEADER_WORDS + 2], 0xffffffff - i);
    assert.equal(r.words[b + 2], i, "last seen");
  }
  assert.throws(() => CompactTable.from(s, { valueWords: 2, maxEntries: 10 }), /layout/);
});
