/** Helpers for reading assembled JSON values of unknown shape without trusting them. */
export type Raw = Record<string, unknown>;

export function isRaw(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The `uri` of each `{uri}` object in an array (Meta's photos/videos/… lists). */
export function uris(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const item of v) {
    const uri = isRaw(item) ? str(item['uri']) : undefined;
    if (uri !== undefined) out.push(uri);
  }
  return out;
}

/** Outcome of reading one raw message: a message, or why it was skipped. */
export type Interpreted<T> = { ok: true; value: T } | { ok: false; reason: string };
