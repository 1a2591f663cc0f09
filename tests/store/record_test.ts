import assert from "node:assert/strict";
import { encodeRecord, parseRecord, verifyRecord } from "../../src/store/_record.ts";
import { crc32 } from "../../src/store/_crc32.ts";
import { countLines, scanSegment } from "../../src/store/_scan.ts";
import { failed, started } from "./_helpers.ts";

const enc = new TextEncoder();

Deno.test("record: seq, time, type first, crc last; checksum covers the record without it", () => {
  const e = { ...started("a", "r1"), seq: 42 };
  const line = encodeRecord(e);
  assert.match(
    line,
    /^\{"seq":42,"time":"[^"]+","type":"RUN_STARTED","job":"a",.*,"crc":"[0-9a-f]{8}"\}$/,
  );
  const obj = JSON.parse(line);
  const { crc, ...rest } = obj;
  // The checksum is CRC-32 of exactly the JSON the record would be without its crc member.
  assert.equal(crc32(enc.encode(JSON.stringify(rest))).toString(16).padStart(8, "0"), crc);
  assert.deepEqual(rest, { ...e });
  const bytes = enc.encode(line);
  assert.equal(verifyRecord(bytes, 0, bytes.length), null);
});

Deno.test("record: non-ASCII content verifies and parses", () => {
  const line = encodeRecord({ ...failed("ü-job", "r"), seq: 1 });
  const bytes = enc.encode(line);
  assert.equal(verifyRecord(bytes, 0, bytes.length), null);
  const rec = parseRecord(line);
  assert.equal(typeof rec, "object");
});

Deno.test("record: an event read back (with crc) is re-encoded without a second crc", () => {
  const line = encodeRecord({ ...started("a", "r1"), seq: 3 });
  const again = encodeRecord(JSON.parse(line));
  assert.equal(again, line);
});

Deno.test("record: every single-byte change is detected", () => {
  const bytes = enc.encode(encodeRecord({ ...started("a", "r1"), seq: 9 }));
  for (let i = 0; i < bytes.length; i++) {
    const copy = bytes.slice();
    copy[i] ^= 0x01;
    assert.notEqual(verifyRecord(copy, 0, copy.length), null, `byte ${i}`);
  }
});

Deno.test("scan: classifies torn tails and corrupt lines", () => {
  const a = encodeRecord({ ...started("a", "r1"), seq: 1 }) + "\n";
  const b = encodeRecord({ ...started("a", "r2"), seq: 2 }) + "\n";
  const ok = scanSegment(enc.encode(a + b), () => null);
  assert.deepEqual([ok.records, ok.tail, ok.corrupt], [2, null, null]);
  const torn = scanSegment(enc.encode(a + b.slice(0, 10)), () => null);
  assert.deepEqual(torn.tail, { offset: a.length, bytes: 10, zeroFilled: false });
  const zeros = new Uint8Array(a.length + 100);
  zeros.set(enc.encode(a));
  assert.deepEqual(scanSegment(zeros, () => null).tail, {
    offset: a.length,
    bytes: 100,
    zeroFilled: true,
  });
  const bad = scanSegment(enc.encode(a + "{}\n" + b), () => null);
  assert.deepEqual(bad.corrupt, { line: 2, offset: a.length, reason: "no checksum" });
  const rejected = scanSegment(enc.encode(a + b), (e) => e.seq === 2 ? "nope" : null);
  assert.equal(rejected.corrupt?.reason, "nope");
  assert.equal(countLines(enc.encode(a + b + "x")), 2);
});
