/**
 * "Did you mean …?" suggestions for misspelt field names, enum values and time zones.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./did_you_mean.ts";
 * didYouMean("retires", ["retries", "timeout"]); // "retries"
 * ```
 * @module
 */

/** Largest edit distance still worth suggesting: beyond 2 the guesses stop being helpful. */
export const MAX_SUGGESTION_DISTANCE = 2;

/**
 * Optimal-string-alignment (restricted Damerau–Levenshtein) distance: insertions, deletions,
 * substitutions and swaps of two adjacent characters each cost 1. A swap counts once because
 * `retires` for `retries` is one slip of the fingers, not two.
 *
 * @example
 * ```ts
 * import { editDistance } from "./did_you_mean.ts";
 * editDistance("retires", "retries"); // 1
 * editDistance("cron", "corn"); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = [];
  for (let i = 0; i < rows; i++) d.push(new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i][0] = i;
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The candidate closest to `word` (distance ≤ {@link MAX_SUGGESTION_DISTANCE}), or `null`.
 * Case is ignored when measuring, so `Retries` still finds `retries`. Ties go to the candidate
 * listed first, which keeps the suggestion deterministic.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./did_you_mean.ts";
 * didYouMean("data_dri", ["data_dir", "timezone"]); // "data_dir"
 * didYouMean("colour", ["cron", "every"]); // null
 * ```
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | null {
  const lower = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = MAX_SUGGESTION_DISTANCE + 1;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    // Cheap length filter first: the distance is at least the difference in length.
    if (Math.abs(candidate.length - word.length) > MAX_SUGGESTION_DISTANCE) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * `" (did you mean "x"?)"` when there is a close candidate, else `""`: ready to append to a
 * message.
 *
 * @example
 * ```ts
 * import { suggestionSuffix } from "./did_you_mean.ts";
 * suggestionSuffix("retires", ["retries"]); // ' (did you mean "retries"?)'
 * ```
 */
export function suggestionSuffix(word: string, candidates: Iterable<string>): string {
  const best = didYouMean(word, candidates);
  return best === null ? "" : ` (did you mean "${best}"?)`;
}
