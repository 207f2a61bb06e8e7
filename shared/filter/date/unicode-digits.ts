// Python's \d, int() and float() accept every Unicode decimal digit (category Nd: Arabic-Indic, Devanagari,
// fullwidth ...), so a date written with them is a date for fail2ban too.

const DECIMAL = /\p{Nd}/u;
const NON_ASCII_DECIMAL = /[^\0-\x7f]/;

/** Value of a decimal digit: Nd digits come in runs of ten, 0 to 9, so count back to the start of the run. */
function digitValue(codePoint: number): number {
  let start = codePoint;
  while (DECIMAL.test(String.fromCodePoint(start - 1))) start--;
  return (codePoint - start) % 10;
}

/** `text` with every non-ASCII decimal digit replaced by its ASCII digit; ASCII text is returned as is. */
export function asciiDigits(text: string): string {
  if (!NON_ASCII_DECIMAL.test(text)) return text;
  let out = "";
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    out += codePoint > 0x7f && DECIMAL.test(char) ? String(digitValue(codePoint)) : char;
  }
  return out;
}
