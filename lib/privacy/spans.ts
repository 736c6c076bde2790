/** What the detectors find: a stretch of text and the kind of data it holds. */
export type PiiKind = 'emails' | 'phones' | 'urls' | 'cards';

export const PII_KINDS: readonly PiiKind[] = ['emails', 'phones', 'urls', 'cards'];

/** `[start, end)` in UTF-16 code units of the text searched. */
export interface PiiSpan {
  start: number;
  end: number;
  kind: PiiKind;
}

/**
 * Overlapping finds resolved once: where spans overlap, one replacement covers their union and
 * carries the kind of the longest (the outer: a URL that holds an email or a phone number stays a
 * URL). Sorted by start, no two overlapping.
 */
export function resolveOverlaps(spans: PiiSpan[]): PiiSpan[] {
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: PiiSpan[] = [];
  let cur = { ...spans[0]! };
  let curLongest = cur.end - cur.start;
  for (let i = 1; i < spans.length; i++) {
    const s = spans[i]!;
    if (s.start < cur.end) {
      if (s.end - s.start > curLongest) {
        curLongest = s.end - s.start;
        cur.kind = s.kind;
      }
      if (s.end > cur.end) cur.end = s.end;
      continue;
    }
    out.push(cur);
    cur = { ...s };
    curLongest = cur.end - cur.start;
  }
  out.push(cur);
  return out;
}
