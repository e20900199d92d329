import 'reflect-metadata';
import './graphql/production-mode';
import { ConfigError, loadConfig } from './config/config';
import { createLogger } from './shared/logger';
import { startApp, StartupError } from './app';
import { endpointsBanner } from './http/server';

/** Process entry: config → app; SIGINT/SIGTERM stop it cleanly. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  logger.info({ step: 'config', images: config.scraper.images.length, scraper: config.scraper.enabled }, 'configuration loaded');
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  let stopping = false;
  // The embedded database died and could not be restarted: exit non-zero, so that an outer
  // supervisor (systemd, the container runtime) restarts the whole process.
  const onFatal = (err: Error) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`catalog-sync: ${err.message}; exiting\n`);
    void (app ? app.close() : Promise.resolve()).finally(() => process.exit(1));
  };
  try {
    app = await startApp(config, { logger, onFatal });
  } catch (err) {
    // One clear line on stderr (the port is taken, the database is unreachable, …); the
    // details of an unexpected failure go to the log at debug level.
    logger.debug({ err }, 'startup failed');
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`catalog-sync: startup failed: ${err instanceof StartupError ? message : message.split('\n')[0]}\n`);
    process.exit(1);
  }
  // In plain words, apart from the JSON logs on stdout: where to go now.
  process.stderr.write(endpointsBanner(app.url, config.graphql.landingPage));
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    (app ? app.close() : Promise.resolve()).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
