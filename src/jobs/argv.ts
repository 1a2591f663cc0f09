/**
 * Word splitting for command jobs that run without a shell.
 *
 * `splitCommand` follows the quoting rules of a POSIX shell so that a command line written in a
 * job file means the same words it would mean to `sh`, but it performs **none** of the shell's
 * expansions or operators:
 *
 * - words are separated by unquoted spaces, tabs and newlines;
 * - `'…'` keeps everything literally (no escapes inside single quotes);
 * - `"…"` keeps everything literally except that a backslash escapes `\`, `"`, `$`, `` ` ``
 *   and a newline (as in POSIX); before any other character the backslash stays;
 * - outside quotes a backslash makes the next character literal; backslash-newline is a line
 *   continuation and disappears;
 * - `''` and `""` produce an empty word.
 *
 * Not supported, on purpose (they are literal characters in the resulting words): globbing
 * (`*`, `?`, `[`), variable and command expansion (`$HOME`, `$(…)`, `` `…` ``), tilde expansion,
 * comments (`#`), operators and redirections (`;`, `|`, `&&`, `&`, `>`, `<`). Use
 * `shell = true` when a job needs any of them.
 *
 * @example
 * ```ts
 * import { splitCommand } from "./argv.ts";
 * splitCommand(`rsync -a "my dir/" 'host:/backup dir'`);
 * // ["rsync", "-a", "my dir/", "host:/backup dir"]
 * ```
 * @module
 */
import { KronError } from "../errors.ts";

const WHITESPACE = new Set([" ", "\t", "\n", "\r", "\f", "\v"]);
/** Characters a backslash escapes inside double quotes (POSIX); before others it stays. */
const DQ_ESCAPABLE = new Set(["\\", '"', "$", "`", "\n"]);

/**
 * Splits a command line into argv words like a POSIX shell would, without running a shell and
 * without any expansion (see the module docs for the exact rules).
 *
 * @throws {KronError} code `invalid_option`, e.g. `command: unterminated double quote`.
 *
 * @example
 * ```ts
 * import { splitCommand } from "./argv.ts";
 * splitCommand(`echo "a \\"b\\"" c\\ d 'e;f' $HOME`);
 * // ["echo", 'a "b"', "c d", "e;f", "$HOME"]
 * splitCommand("   "); // []
 * ```
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = "";
  // Distinguishes "no word yet" from "an empty word" (`''`), which is a real argument.
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (WHITESPACE.has(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw invalid("unterminated single quote");
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw invalid("unterminated double quote");
        const d = text[i];
        if (d === '"') break;
        if (d === "\\" && i + 1 < text.length && DQ_ESCAPABLE.has(text[i + 1])) {
          if (text[i + 1] !== "\n") word += text[i + 1]; // backslash-newline: continuation
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === "\\") {
      if (i + 1 >= text.length) throw invalid("trailing backslash");
      if (text[i + 1] === "\n") {
        // Line continuation: joins the surrounding text, does not start or end a word.
        i += 2;
        continue;
      }
      word += text[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function invalid(problem: string): KronError {
  return new KronError("invalid_option", `command: ${problem}`);
}
