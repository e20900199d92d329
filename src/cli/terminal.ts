/**
 * How the scrape command talks while it works: a progress bar and readable warnings on a
 * terminal, plain lines otherwise. Everything here goes to one stream (stderr): stdout is
 * kept for the summary, so that `npm run scrape -- --json | jq` reads nothing else.
 */

export interface Output {
  write(text: string): unknown;
}

export interface RunProgress {
  imagesTotal: number;
  imagesDone: number;
  imagesFailed: number;
  instancesAdded: number;
  instancesUpdated: number;
}

/** `1 image`, `2 images`, `0 images`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function progressText(run: RunProgress): string {
  return (
    `${run.imagesDone}/${plural(run.imagesTotal, 'image')} · ${run.imagesFailed} failed · ` +
    `+${plural(run.instancesAdded, 'instance')}, ${run.instancesUpdated} updated`
  );
}

const CLEAR_LINE = '\r\x1b[K';
const BAR_WIDTH = 30;
/** Fields every log line has; a readable line leaves them out. */
const BASE_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg', 'component', 'worker']);
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * One pino JSON line as a person reads it: `WARN  image scraped: image=nginx status=FAILED
 * error="…"`. A line that is not JSON is shown as it is.
 */
export function readableLogLine(jsonLine: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine);
  } catch {
    return jsonLine.trimEnd();
  }
  if (entry === null || typeof entry !== 'object') return jsonLine.trimEnd();
  const level = LEVELS[entry.level as number] ?? String(entry.level ?? '').toUpperCase();
  const fields = Object.entries(entry)
    .filter(([key, value]) => !BASE_FIELDS.has(key) && value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${fieldValue(key, value)}`);
  const shownLevel = (color ? colorLevel(level) : level) + ' '.repeat(Math.max(0, 5 - level.length));
  return `${shownLevel} ${entry.msg ?? ''}${fields.length ? `: ${fields.join(' ')}` : ''}`;
}

function fieldValue(key: string, value: unknown): string {
  if (key === 'err' && value && typeof value === 'object') {
    const e = value as { message?: unknown; type?: unknown };
    return JSON.stringify(String(e.message ?? e.type ?? 'error'));
  }
  if (typeof value === 'string') return /^[\w./:@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function colorLevel(level: string): string {
  const code = level === 'WARN' ? 33 : level === 'ERROR' || level === 'FATAL' ? 31 : level === 'INFO' ? 36 : 2;
  return `\x1b[${code}m${level}\x1b[0m`;
}

/**
 * On a terminal, a bar redrawn in place on one line; a message (a warning, a note) clears
 * the bar, is printed on its own line above it, and the bar is drawn again below. Without a
 * terminal: messages as they come, and a `progress:` line when progress changed, at most
 * every `intervalMs`, and at the end.
 */
export class ProgressView {
  private bar: string | undefined;
  private finished = false;
  private lastText = '';
  private lastAt = -Infinity;

  constructor(
    private readonly out: Output,
    readonly tty: boolean,
    private readonly intervalMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A line of its own (without a trailing newline). */
  message(line: string): void {
    if (this.tty && this.bar !== undefined && !this.finished) this.out.write(`${CLEAR_LINE}${line}\n${this.bar}`);
    else this.out.write(`${line}\n`);
  }

  update(run: RunProgress, force = false): void {
    const text = progressText(run);
    if (this.tty) {
      const filled = run.imagesTotal ? Math.min(BAR_WIDTH, Math.round((run.imagesDone / run.imagesTotal) * BAR_WIDTH)) : 0;
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${text}`;
      if (bar !== this.bar || force) this.out.write(`${CLEAR_LINE}${bar}`);
      this.bar = bar;
    } else if (text !== this.lastText && (force || this.now() - this.lastAt >= this.intervalMs)) {
      this.out.write(`progress: ${text}\n`);
      this.lastAt = this.now();
      this.lastText = text;
    }
  }

  /** The final state; on a terminal the bar stays on screen and the cursor moves below it. */
  done(run: RunProgress): void {
    this.update(run, true);
    if (this.tty) this.out.write('\n');
    this.finished = true;
  }
}
