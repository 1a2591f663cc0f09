// A minimal PNG decoder (8-bit RGB/RGBA, non-interlaced: what Chromium's screenshots are), so
// the dashboard test can read the pixels of a screenshot where the DOM says an element is.
// Inflate is the platform's DecompressionStream ("deflate" is zlib, which IDAT holds).

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row by row. */
  rgba: Uint8Array;
}

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(
    new DecompressionStream("deflate"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a PNG; throws for the kinds it does not handle (they are not screenshots). */
export async function decodePng(png: Uint8Array): Promise<Image> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => png[i] === b)) throw new Error("not a PNG");
  let width = 0, height = 0, colorType = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const depth = png[at + 16];
      colorType = png[at + 17];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || png[at + 20] !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}`);
      }
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + len;
  }
  const joined = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of idat) {
    joined.set(c, off);
    off += c.length;
  }
  const raw = await inflate(joined);
  const bpp = colorType === 6 ? 4 : 3, stride = width * bpp;
  const out = new Uint8Array(width * height * 4);
  const prev = new Uint8Array(stride), cur = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? cur[x - bpp] : 0, b = prev[x], c = x >= bpp ? prev[x - bpp] : 0;
      const v = line[x];
      cur[x] = (filter === 0
        ? v
        : filter === 1
        ? v + a
        : filter === 2
        ? v + b
        : filter === 3
        ? v + ((a + b) >> 1)
        : v + paeth(a, b, c)) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = cur[x * bpp];
      out[o + 1] = cur[x * bpp + 1];
      out[o + 2] = cur[x * bpp + 2];
      out[o + 3] = bpp === 4 ? cur[x * bpp + 3] : 255;
    }
    prev.set(cur);
  }
  return { width, height, rgba: out };
}

/** The pixel at (x, y) as [r, g, b]. */
export function pixel(img: Image, x: number, y: number): [number, number, number] {
  const o = (Math.floor(y) * img.width + Math.floor(x)) * 4;
  return [img.rgba[o], img.rgba[o + 1], img.rgba[o + 2]];
}

/** `rgb(1, 2, 3)` / `rgba(1, 2, 3, 1)` (a computed style) as [r, g, b]. */
export function parseRgb(css: string): [number, number, number] {
  const m = css.match(/rgba?\((\d+),\s*(\d+),\s*(\d+)/);
  if (!m) throw new Error(`not an rgb() colour: ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Whether two colours are the same within `tolerance` per channel (anti-aliasing, blending). */
export function sameColour(a: number[], b: number[], tolerance = 6): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tolerance);
}
