// Geometry of the dashboard as Chromium laid it out, read from the DOM, and the checks the
// browser tests make with it: nothing sideways off-screen, nothing under the sticky header,
// no two boxes on top of each other; plus the screenshot's pixels where the DOM says a box is.
import type { Page } from "./_browser.ts";
import { assert } from "./_assert.ts";
import { decodePng, type Image, parseRgb, pixel, sameColour } from "./_png.ts";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The boxes (page coordinates) of every rendered element matching `selector`. */
export function boxes(page: Page, selector: string): Promise<Box[]> {
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})]
    .filter((e) => e.getClientRects().length > 0)
    .map((e) => { const r = e.getBoundingClientRect();
      return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height }; })`);
}

/** One box; fails when nothing matching is rendered. */
export async function box(page: Page, selector: string): Promise<Box> {
  const all = await boxes(page, selector);
  assert(all.length > 0, `${selector} is rendered`);
  return all[0];
}

/** Whether two boxes share any area. */
export function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
    b.y < a.y + a.height;
}

/** The document is no wider than the viewport, and every `selector` box lies inside it. */
export async function assertFitsWidth(page: Page, selectors: string[]): Promise<void> {
  const width = page.viewportSize()!.width;
  const scroll = await page.evaluate("document.documentElement.scrollWidth") as number;
  assert(scroll <= width, `no horizontal scroll at ${width} px (scrollWidth ${scroll})`);
  for (const s of selectors) {
    const all = await boxes(page, s);
    assert(all.length > 0, `${s} is rendered at ${width} px`);
    for (const b of all) {
      assert(
        b.x >= 0 && b.x + b.width <= width + 0.5,
        `${s} inside the ${width} px viewport: x ${b.x}..${b.x + b.width}`,
      );
    }
  }
}

/** At the top of the page, the sticky header covers none of the `selectors` boxes. */
export async function assertBelowHeader(page: Page, selectors: string[]): Promise<void> {
  await page.evaluate("scrollTo(0, 0)");
  const header = await box(page, "body > header");
  for (const s of selectors) {
    for (const b of await boxes(page, s)) {
      assert(
        !overlap(header, b),
        `${s} (y ${b.y}) is not under the header (to ${header.y + header.height})`,
      );
    }
  }
}

/** A screenshot of the viewport, decoded. */
export async function shot(page: Page, path: string): Promise<Image> {
  const png = await page.screenshot({ path });
  return await decodePng(new Uint8Array(png));
}

/**
 * The screenshot agrees with the DOM: inside each `selector` box (viewport coordinates) most
 * pixels (over half; text and rounded corners take the rest) have the colour the element's
 * computed `property` says. Returns how many boxes were checked.
 */
export async function assertPixelsMatch(
  page: Page,
  img: Image,
  selector: string,
  property: "background-color" | "fill",
): Promise<number> {
  const found: { x: number; y: number; w: number; h: number; colour: string }[] = await page
    .evaluate(
      `[...document.querySelectorAll(${JSON.stringify(selector)})]
      .filter((e) => e.getClientRects().length > 0)
      .map((e) => { const r = e.getBoundingClientRect();
        return { x: r.x, y: r.y, w: r.width, h: r.height,
          colour: getComputedStyle(e).getPropertyValue(${JSON.stringify(property)}) }; })
      .filter((p) => p.x >= 0 && p.y >= 0 && p.x + p.w <= innerWidth && p.y + p.h <= innerHeight)`,
    );
  assert(found.length > 0, `${selector} is on screen`);
  for (const b of found) {
    const want = parseRgb(b.colour);
    let same = 0, all = 0;
    for (let y = Math.ceil(b.y); y < b.y + b.h - 0.5; y++) {
      for (let x = Math.ceil(b.x); x < b.x + b.w - 0.5; x++) {
        all++;
        if (sameColour(pixel(img, x, y), want)) same++;
      }
    }
    assert(
      all > 0 && same / all > 0.5,
      `${selector} at (${b.x}, ${b.y}) ${b.w}x${b.h}: ${same} of ${all} screenshot pixels are the DOM's ${property} ${want}`,
    );
  }
  return found.length;
}

/**
 * WCAG AA contrast of every rendered text on the page: each element with its own text, its
 * computed colour against the first opaque background behind it (4.5:1; 3:1 for large text).
 * Returns how many texts were checked.
 */
export async function assertContrast(page: Page, where: string): Promise<number> {
  const bad: string[] = [];
  const checked = await page.evaluate(`(() => {
    const rgb = (c) => { const m = c.match(/rgba?\\(([\\d.]+),\\s*([\\d.]+),\\s*([\\d.]+)(?:,\\s*([\\d.]+))?/);
      return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null; };
    const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
    const bgOf = (e) => { for (; e; e = e.parentElement) { const b = rgb(getComputedStyle(e).backgroundColor);
      if (b && b[3] >= 0.99) return b; } return [255, 255, 255, 1]; };
    const out = [];
    let n = 0;
    for (const e of document.querySelectorAll("body *")) {
      if (!e.getClientRects().length || e.closest(".sr, svg, script, style, #toast")) continue;
      const own = [...e.childNodes].some((t) => t.nodeType === 3 && t.textContent.trim());
      if (!own) continue;
      const s = getComputedStyle(e);
      if (s.visibility === "hidden" || +s.opacity < 1) continue;
      const fg = rgb(s.color), bg = bgOf(e);
      const a = lum(fg), b = lum(bg), ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(s.fontSize), bold = +s.fontWeight >= 700;
      const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      n++;
      if (ratio < need) out.push(e.tagName.toLowerCase() + "." + e.className + " '" + e.textContent.trim().slice(0, 30) + "' " + ratio.toFixed(2));
    }
    return [n, out];
  })()`) as [number, string[]];
  bad.push(...checked[1]);
  assert(bad.length === 0, `contrast below WCAG AA on ${where}:\n${bad.join("\n")}`);
  return checked[0];
}
