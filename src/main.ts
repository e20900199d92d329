import 'reflect-metadata';
import './graphql/production-mode';
import { ConfigError, loadConfig } from './config/config';
import { createLogger } from './shared/logger';
import { startApp } from './app';
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
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config, { logger });
  } catch (err) {
    logger.fatal({ err }, `startup failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  // In plain words, apart from the JSON logs on stdout: where to go now.
  process.stderr.write(endpointsBanner(app.url, config.graphql.landingPage));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
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
