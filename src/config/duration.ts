const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `90s`, `15m`, `2h`, `1h30m` or `500ms` into milliseconds.
 * Returns `undefined` when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const input = text.trim();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(input)) return undefined;
  let total = 0;
  for (const [, amount, unit] of input.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(amount) * UNITS[unit];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** A text that {@link parseDuration} reads back as `ms`, in hours at most (`24h`, `90s` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const size = UNITS[unit];
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      out += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return out;
}
