import 'reflect-metadata';
import '../graphql/production-mode';
import { ConfigError, loadConfig } from '../config/config';
import { createLogger } from '../shared/logger';
import { startApp } from '../app';
import { DomainError } from '../graphql/errors';
import type { ScrapeResult, ScrapeRun } from '../scraping/runs/scrape-run.type';
import { plural, ProgressView, readableLogLine } from './terminal';

const USAGE = `Usage: npm run scrape -- [--json] [image ...]
       node dist/src/cli/scrape.js [--json] [image ...]

Scrapes Docker Hub once into the configured database (DATABASE_URL, or the embedded one in
CATALOG_DATA_DIR) without starting the HTTP server, then prints a summary on stdout.
  image    tracked images to scrape (nginx, library/nginx, org/name); none: every enabled one.
  --json   print the summary as one JSON document instead of a table.
Progress and logs go to stderr: a progress bar with readable warnings on a terminal, JSON
log lines (LOG_LEVEL) and "progress:" lines otherwise.
Exit status: 0 when every image ended OK or NO_TAGS, 1 when any failed or was not found,
2 on bad configuration or arguments, 130 when interrupted.`;

/**
 * Engine lines that describe a service, not this command: it turns the scheduler off
 * because it only works on the run it asks for, which the user did not ask to be told.
 */
const NOT_FOR_THE_COMMAND = [/^scheduled scrapes are off/];

/** `npm run scrape -- [--json] [image …]`: one scrape for scripts and cron. */
async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const json = argv.includes('--json');
  const images = argv.filter((a) => a !== '--json');
  const unknownFlag = images.find((a) => a.startsWith('-'));
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
  // Everything but the summary goes to stderr; a terminal there gets the bar and readable lines.
  const tty = process.stderr.isTTY === true;
  const view = new ProgressView(process.stderr, tty);
  const color = tty && !process.env.NO_COLOR;
  const logger = createLogger(
    // On a terminal the bar tells the progress: only warnings unless LOG_LEVEL says otherwise.
    tty && !process.env.LOG_LEVEL ? 'warn' : config.logLevel,
    {
      write(line: string) {
        if (NOT_FOR_THE_COMMAND.some((re) => re.test(messageOf(line)))) return;
        view.message(tty ? readableLogLine(line, color) : line.trimEnd());
      },
    },
  );
  // This process only works on the run it asks for: it never schedules.
  const app = await startApp({ ...config, scraper: { ...config.scraper, enabled: false } }, { logger, http: false, reconcile: 'if-empty' });
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let started: { run: ScrapeRun; created: boolean };
    try {
      started = await app.services.scrape.trigger({ images, requestedBy: 'cli' });
    } catch (e) {
      if (e instanceof DomainError) {
        process.stderr.write(`${e.message}\n`);
        return 2;
      }
      throw e;
    }
    if (!started.created) view.message(`A full scrape is already running (${started.run.id}): joining it.`);
    let run = started.run;
    while (!interrupted && (run.status === 'QUEUED' || run.status === 'RUNNING')) {
      view.update(run);
      await new Promise((r) => setTimeout(r, 200));
      run = (await app.services.runs.byId(run.id)) ?? run;
    }
    view.done(run);
    if (interrupted) {
      process.stderr.write('Interrupted: unfinished images go back to the queue.\n');
      return 130;
    }
    const [results] = await app.services.runs.resultsOf([run.id]);
    const code = run.imagesFailed > 0 || run.status === 'FAILED' || run.status === 'INTERRUPTED' ? 1 : 0;
    process.stdout.write(json ? JSON.stringify(jsonSummary(run, results, code)) + '\n' : summary(run, results));
    return code;
  } finally {
    await app.close();
  }
}

function messageOf(line: string): string {
  try {
    return String(JSON.parse(line).msg ?? '');
  } catch {
    return line;
  }
}

function seconds(run: ScrapeRun): number | null {
  return run.finishedAt && run.startedAt ? Math.round(run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null;
}

function summary(run: ScrapeRun, results: ScrapeResult[]): string {
  const rows = [
    ['IMAGE', 'STATUS', 'ADDED', 'UPDATED', 'NOTE'],
    ...results.map((r) => [r.image, r.status, String(r.instancesAdded), String(r.instancesUpdated), r.error ?? r.warning ?? '']),
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]) : cell)).join('  ').trimEnd());
  const took = seconds(run);
  lines.push(
    '',
    `run ${run.id}: ${run.status} in ${took === null ? '?' : took.toFixed(1)}s — ${plural(run.imagesTotal, 'image')}, ${run.imagesFailed} failed, ` +
      `${plural(run.resourcesCreated, 'resource')} created, ${plural(run.instancesAdded, 'instance')} added, ${run.instancesUpdated} updated` +
      (run.error ? `\n${run.error}` : ''),
  );
  return lines.join('\n') + '\n';
}

/** The `--json` summary: the run, its per-image results, and the exit status it leads to. */
function jsonSummary(run: ScrapeRun, results: ScrapeResult[], exitCode: number) {
  return {
    run: {
      id: run.id,
      trigger: run.trigger,
      status: run.status,
      error: run.error,
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      seconds: seconds(run),
      imagesTotal: run.imagesTotal,
      imagesDone: run.imagesDone,
      imagesFailed: run.imagesFailed,
      resourcesCreated: run.resourcesCreated,
      instancesAdded: run.instancesAdded,
      instancesUpdated: run.instancesUpdated,
    },
    results: results.map((r) => ({
      image: r.image,
      status: r.status,
      instancesAdded: r.instancesAdded,
      instancesUpdated: r.instancesUpdated,
      error: r.error,
      warning: r.warning,
    })),
    exitCode,
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`scrape failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
