/** Case and Unicode form do not count: "ZOË" typed decomposed is "Zoë". */
const keyOf = (s: string) => s.toLowerCase().normalize('NFC');

/** The name closest to what the user typed (case- and form-insensitive edit distance), if reasonably close. */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  const a = keyOf(typed);
  const keys = names.map(keyOf);
  // the name itself in another case or form; else "Ada" for "Ada Lovelace": a whole word of the name
  const exact = keys.indexOf(a);
  if (exact !== -1) return names[exact];
  const byWord = keys.findIndex((k) => k.split(/\s+/).includes(a));
  if (byWord !== -1) return names[byWord];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const [i, name] of names.entries()) {
    const d = editDistance(a, keys[i]!);
    if (d < bestDistance) {
      bestDistance = d;
      best = name;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(a.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; ++i) {
    const cur = [i];
    for (let j = 1; j <= b.length; ++j) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
