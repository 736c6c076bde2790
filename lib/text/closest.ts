/** The name closest to what the user typed (case-insensitive edit distance), if reasonably close. */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  const a = typed.toLowerCase();
  // "Ada" for "Ada Lovelace": a whole word of the name
  const byWord = names.find((n) => n.toLowerCase().split(/\s+/).includes(a));
  if (byWord) return byWord;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = editDistance(a, name.toLowerCase());
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
