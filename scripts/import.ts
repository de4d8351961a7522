import { parseArgs } from 'node:util';
import { createLogger, openBackend, startService } from '@moim/kit';
import { runImport, service, SOURCES, summaryLine } from '@moim/course-catalog';
import { localConfig } from './local-config';
import { progressBar } from './progress';

// npm run import -- <source> <term> [--from <file|folder|url>] [--force]
// Imports one term of a university's catalog on the configured backend (as npm start would use
// it), printing progress and a summary line; the same import twice changes nothing.
const USAGE = `usage: npm run import -- <source> <term> [--from <file|folder|url>] [--force]
sources:
${[...SOURCES.values()].map((s) => `  ${s.name.padEnd(16)} ${s.university.name}: ${s.describe}`).join('\n')}
term: e.g. 2025-su (year, then sp, su, fa or wi)
--force: apply an import that cancels more than half of the term's sections (refused otherwise)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    from: { type: 'string' },
    force: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

async function main(): Promise<number> {
  const [source, term] = positionals;
  if (values.help || !source || !term || positionals.length > 2) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const local = localConfig();
  const logger = createLogger('import', 'warn');
  const backend = await openBackend(local.backend, logger);
  try {
    const config = service.loadEnv({ ...local.serviceEnv('course-catalog'), LOG_LEVEL: 'warn' });
    // The API role serves nothing until it listens: here it only migrates and opens the database.
    const catalog = await startService(service.define(config), config, { backend, role: 'api', logger });
    try {
      const bars = { read: progressBar('reading'), apply: progressBar('writing') };
      const summary = await runImport(catalog.deps, {
        source,
        term,
        from: values.from,
        force: values.force,
        datasets: config.datasets,
        onProgress: (phase, done, total) => bars[phase](done, total),
      });
      for (const r of summary.rejections.slice(0, 20)) console.error(`rejected line ${r.line}: ${r.reason}`);
      if (summary.rejections.length > 20)
        console.error(`… and ${summary.rejections.length - 20} more rejected`);
      console.log(`${source} ${term}: ${summaryLine(summary)}`);
      return 0;
    } finally {
      await catalog.stop();
    }
  } finally {
    await backend.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`import failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
