/**
 * URLs in text: with a scheme (`https://`, `ftp://`, `mailto:`, `//`), with `www.`, and bare
 * domains (`example.com/path`, `shop.de`) against linkify-it's list of real top-level domains. A
 * bare name with no path whose last label is also a file extension or a short word (`main.py`,
 * `readme.md`, `ok.so`, `do.it`) is a file or a typo, not a link: it is left alone. IP addresses
 * without a scheme are not links either (10.0.0.1 reads like a version number).
 *
 * linkify-it costs 5 to 10 µs a text that may hold a link, and most links in chat are a shared
 * `http(s)://` link: those are cut by one simple rule (the scheme, then up to a space, less
 * trailing punctuation and unmatched brackets); linkify-it reads the text only when something
 * else may be a link.
 */
import { LinkifyIt } from 'linkify-it';
import type { PiiSpan } from './spans.js';

// fuzzyEmail off: emails are the email detector's; urlAuth on: `https://user@host/` is one link
const linkify = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: false, fuzzyIP: false, urlAuth: true });
// linkify-it knows every two-letter zone and a few generic ones; these are common in shared links
linkify.tlds([
  'app', 'art', 'blog', 'cloud', 'club', 'design', 'dev', 'email', 'fun', 'group', 'live', 'link',
  'news', 'online', 'page', 'site', 'social', 'space', 'store', 'studio', 'tech', 'today', 'top',
  'vip', 'wiki', 'world', 'xyz', 'zone',
], true);

/** Country-code TLDs that are also common file extensions or English words. */
const AMBIGUOUS_TLDS: ReadonlySet<string> = new Set([
  'ai', 'am', 'as', 'at', 'be', 'by', 'cs', 'do', 'go', 'in', 'is', 'it', 'md', 'me', 'mk', 'my',
  'no', 'pl', 'ps', 'py', 'rs', 'sh', 'so', 'to', 'us',
]);

/** Gate (also the redactor's): a scheme's `//`, `mailto:`, or a dot before a letter (`.com`, `www.`). */
export const URL_GATE = String.raw`\.\p{L}|\/\/|mailto:`;
const MAY_HOLD_URL = new RegExp(URL_GATE, 'iu');

const HTTP_URL = /(?<![\p{L}\p{N}_])https?:\/\/[\p{L}\p{N}\[][^\s<>"`«»“”‘’]*/giu;
const TRAILING = /[.,;:!?…'*]$/u;
const CLOSERS: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };

function isBareFileLike(raw: string): boolean {
  if (/[\/?#:]/.test(raw) || /^www\./i.test(raw)) return false;
  const dot = raw.lastIndexOf('.');
  return AMBIGUOUS_TLDS.has(raw.slice(dot + 1).toLowerCase());
}

/**
 * `known`: spans other detectors found already (emails): linkify-it is not called for a dot that
 * only they hold (`ada.lovelace@example.com`), and whatever it finds still joins them.
 */
export function findUrls(text: string, out: PiiSpan[], known: readonly PiiSpan[] = []): void {
  if (!MAY_HOLD_URL.test(text)) return;
  const http = findHttpUrls(text);
  for (const s of http) out.push(s);
  const covered = known.length === 0 ? http : [...http, ...known].sort((a, b) => a.start - b.start);
  if (covered.length > 0 && !MAY_HOLD_URL.test(outside(text, covered))) return;
  const found = linkify.match(text);
  if (!found) return;
  for (const m of found) {
    if (m.schema === '' && isBareFileLike(m.raw)) continue;
    if (http.some((s) => s.start < m.lastIndex && m.index < s.end)) continue;
    out.push({ start: m.index, end: m.lastIndex, kind: 'urls' });
  }
}

/** `http://` and `https://` links, each to the space after it, less what ends the sentence around it. */
export function findHttpUrls(text: string): PiiSpan[] {
  const out: PiiSpan[] = [];
  if (!text.includes('://')) return out;
  HTTP_URL.lastIndex = 0;
  for (let m = HTTP_URL.exec(text); m; m = HTTP_URL.exec(text)) {
    out.push({ start: m.index, end: m.index + trimmedLength(m[0]), kind: 'urls' });
  }
  return out;
}

function trimmedLength(raw: string): number {
  // brackets counted once, then kept up to date as the end moves back
  const open: Record<string, number> = { '(': 0, '[': 0, '{': 0 };
  const closed: Record<string, number> = { ')': 0, ']': 0, '}': 0 };
  for (const ch of raw) {
    if (ch in open) open[ch]!++;
    else if (ch in closed) closed[ch]!++;
  }
  let end = raw.length;
  for (;;) {
    const last = raw[end - 1]!;
    const opener = CLOSERS[last];
    if (TRAILING.test(last) || (opener !== undefined && open[opener]! < closed[last]!)) {
      if (opener !== undefined) closed[last]!--;
      end--;
      continue;
    }
    return end;
  }
}

/** The text between the spans (each span left as a space); spans sorted by start, may overlap. */
function outside(text: string, spans: readonly PiiSpan[]): string {
  let rest = '';
  let from = 0;
  for (const s of spans) {
    if (s.start > from) rest += text.slice(from, s.start);
    rest += ' ';
    from = Math.max(from, s.end);
  }
  return rest + text.slice(from);
}
