/**
 * Python's `str.strip()` with no argument: the characters `str.isspace()` accepts. It differs from
 * `String.prototype.trim`: Python also strips \x1c-\x1f and \x85, and keeps U+FEFF. LangChain's
 * merge uses it, so the langchain preset must too.
 */
export function isPythonSpace(c: number): boolean {
  if (c <= 0x20) return (c >= 0x09 && c <= 0x0d) || c >= 0x1c;
  if (c < 0x85) return false;
  return (
    c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

export function pythonStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPythonSpace(s.charCodeAt(start))) ++start;
  while (end > start && isPythonSpace(s.charCodeAt(end - 1))) --end;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Python's `str.rstrip()` with no argument. */
export function pythonRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPythonSpace(s.charCodeAt(end - 1))) --end;
  return end === s.length ? s : s.slice(0, end);
}
