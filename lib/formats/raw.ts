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
    const uri = uriOf(item);
    if (uri !== undefined) out.push(uri);
  }
  return out;
}

/** The `uri` of an object (a media list's item, a sticker), when it is a string. */
export function uriOf(item: unknown): string | undefined {
  return isRaw(item) ? str(item['uri']) : undefined;
}

/** Outcome of reading one raw message: a message, or why it was skipped. */
export type Interpreted<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A thread's `participants`: objects with a `name` (classic) or plain strings (the E2EE
 * download's, which marks the file as E2EE); each name through `fix`. Anything else is skipped.
 */
export function participantNames(list: unknown, fix: (name: string) => string): { names: string[]; plainStrings: boolean } {
  const names: string[] = [];
  let plainStrings = false;
  if (!Array.isArray(list)) return { names, plainStrings };
  for (const p of list) {
    if (typeof p === 'string') {
      plainStrings = true;
      names.push(fix(p));
    } else if (isRaw(p) && typeof p['name'] === 'string') {
      names.push(fix(p['name']));
    }
  }
  return { names, plainStrings };
}

/** Whether `v` holds containers nested more than `room` deep (itself counting as one). */
export function nestedDeeper(v: unknown, room: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (room === 0) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (nestedDeeper(x, room - 1)) return true;
    return false;
  }
  for (const k in v) if (nestedDeeper((v as Record<string, unknown>)[k], room - 1)) return true;
  return false;
}
