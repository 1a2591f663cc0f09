import assert from "node:assert/strict";
import { crc32, crc32Byte, crc32String } from "../../src/store/_crc32.ts";

const enc = new TextEncoder();

Deno.test("crc32: standard check value and empty input", () => {
  assert.equal(crc32(enc.encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
  assert.equal(crc32String(""), 0);
  assert.equal(crc32(enc.encode("The quick brown fox jumps over the lazy dog")), 0x414fa339);
});

Deno.test("crc32: string form equals bytes form for every kind of character", () => {
  const samples = [
    "plain ascii",
    "héllo wörld",
    "日本語テキスト",
    "emoji 🚀🎉 and \u2028",
    "lone \ud800 surrogate",
    "x".repeat(1000) + "ü",
  ];
  for (const s of samples) assert.equal(crc32String(s), crc32(enc.encode(s)), s);
});

Deno.test("crc32: continues across slices and single bytes, at every length", () => {
  const bytes = new Uint8Array(257).map((_, i) => (i * 31 + 7) & 0xff);
  for (let len = 0; len <= bytes.length; len++) {
    const whole = crc32(bytes, 0, len);
    for (const cut of [0, 1, Math.floor(len / 2), len]) {
      if (cut > len) continue;
      assert.equal(crc32(bytes, cut, len, crc32(bytes, 0, cut)), whole);
    }
    if (len > 0) assert.equal(crc32Byte(crc32(bytes, 0, len - 1), bytes[len - 1]), whole);
  }
});
