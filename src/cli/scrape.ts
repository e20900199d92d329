import 'reflect-metadata';
import '../graphql/production-mode';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config/config';
import { createLogger } from '../shared/logger';
import { startApp } from '../app';
import { DomainError } from '../graphql/errors';
import type { ScrapeResult, ScrapeRun } from '../scraping/runs/scrape-run.type';

const USAGE = `Usage: npm run scrape -- [image ...]

Scrapes Docker Hub once into the configured database (DATABASE_URL, or the embedded one in
CATALOG_DATA_DIR) without starting the HTTP server, then prints a summary.
  image    tracked images to scrape (nginx, library/nginx, org/name); none: every enabled one.
Exit status: 0 when every image ended OK or NO_TAGS, 1 when any failed or was not found,
2 on bad configuration or arguments.`;

/** `npm run scrape -- [image …]`: one scrape for scripts and cron. */
async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const unknownFlag = argv.find((a) => a.startsWith('-'));
  if (unknownFlag) {
    process.stderr.write(`unknown option ${unknownFlag}\n\n${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const tty = process.stdout.isTTY === true;
  // On a terminal the progress bar speaks; JSON logs only for warnings unless LOG_LEVEL says otherwise.
  const logger = createLogger(
    tty && !process.env.LOG_LEVEL ? 'warn' : config.logLevel,
    tty ? pino.destination({ dest: 2, sync: true }) : undefined,
  );
  // This process only works on the run it asks for: it never schedules.
  const app = await startApp({ ...config, scraper: { ...config.scraper, enabled: false } }, { logger, http: false, reconcile: 'if-empty', shareEmbedded: true });
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let started: { run: ScrapeRun; created: boolean };
    try {
      started = await app.services.scrape.trigger({ images: argv, requestedBy: 'cli' });
    } catch (e) {
      if (e instanceof DomainError) {
        process.stderr.write(`${e.message}\n`);
        return 2;
      }
      throw e;
    }
    if (!started.created) process.stderr.write(`A full scrape is already running (${started.run.id}): joining it.\n`);
    let run = started.run;
    const progress = new Progress(tty);
    while (!interrupted && (run.status === 'QUEUED' || run.status === 'RUNNING')) {
      progress.show(run);
      await new Promise((r) => setTimeout(r, 200));
      run = (await app.services.runs.byId(run.id)) ?? run;
    }
    progress.done(run);
    if (interrupted) {
      process.stderr.write('Interrupted: unfinished images go back to the queue.\n');
      return 130;
    }
    const [results] = await app.services.runs.resultsOf([run.id]);
    process.stdout.write(summary(run, results));
    return run.imagesFailed > 0 || run.status === 'FAILED' || run.status === 'INTERRUPTED' ? 1 : 0;
  } finally {
    await app.close();
  }
}

/** A bar on a terminal; otherwise a plain line when progress changed, at most every 5 s. */
class Progress {
  private lastLine = '';
  private lastAt = 0;
  constructor(private readonly tty: boolean) {}

  show(run: ScrapeRun, force = false): void {
    const text = `${run.imagesDone}/${run.imagesTotal} images · ${run.imagesFailed} failed · +${run.instancesAdded} instances, ${run.instancesUpdated} updated`;
    if (this.tty) {
      const width = 30;
      const filled = run.imagesTotal ? Math.round((run.imagesDone / run.imagesTotal) * width) : 0;
      process.stdout.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`);
    } else if (text !== this.lastLine && (force || Date.now() - this.lastAt >= 5_000)) {
      process.stdout.write(`progress: ${text}\n`);
      this.lastAt = Date.now();
      this.lastLine = text;
    }
  }

  done(run: ScrapeRun): void {
    this.show(run, true);
    if (this.tty) process.stdout.write('\n');
  }
}

function summary(run: ScrapeRun, results: ScrapeResult[]): string {
  const rows = [
    ['IMAGE', 'STATUS', 'ADDED', 'UPDATED', 'NOTE'],
    ...results.map((r) => [r.image, r.status, String(r.instancesAdded), String(r.instancesUpdated), r.error ?? r.warning ?? '']),
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]) : cell)).join('  ').trimEnd());
  const seconds = run.finishedAt && run.startedAt ? ((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1) : '?';
  lines.push(
    '',
    `run ${run.id}: ${run.status} in ${seconds}s — ${run.imagesTotal} images, ${run.imagesFailed} failed, ` +
      `${run.resourcesCreated} resources created, ${run.instancesAdded} instances added, ${run.instancesUpdated} updated` +
      (run.error ? `\n${run.error}` : ''),
  );
  return lines.join('\n') + '\n';
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`scrape failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
