import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { GraphQLError } from 'graphql';
import {
  ConfigError,
  createLogger,
  openBackend,
  startServices,
  UnavailableError,
  waitUntilSettled,
} from '@moim/kit';
import { makeAdmin, type SocialDeps } from '@moim/social';
import { localConfig } from './local-config';
import { SERVICE_MODULES } from './service-modules';

// npm run create-admin -- --email you@example.com [--nickname name]
// Creates an admin account (or promotes an existing one) on the configured backend. The password
// comes from ADMIN_PASSWORD, or is asked for (not echoed) when a terminal is attached: it is never
// in the command line, the shell history or a log.
const USAGE = 'usage: [ADMIN_PASSWORD=…] npm run create-admin -- --email you@example.com [--nickname name]';
const { values } = parseArgs({ options: { email: { type: 'string' }, nickname: { type: 'string' } } });

function askPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  process.stdout.write('Password for the new admin (not shown): ');
  // Keep the answer off the screen: readline would echo each key.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  return new Promise((resolve) =>
    rl.question('', (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    }),
  );
}

async function main(): Promise<number> {
  if (!values.email) {
    console.error(USAGE);
    return 2;
  }
  const local = localConfig();
  const backend = await openBackend(local.backend, createLogger('create-admin', 'warn'));
  try {
    const { services, stop } = await startServices({
      backend,
      modules: SERVICE_MODULES,
      env: (name) => ({ ...local.serviceEnv(name), PORT: '0', LOG_LEVEL: 'warn' }),
    });
    try {
      const social = services.get('social')!.deps as SocialDeps;
      const admin = (password: string | undefined) =>
        makeAdmin(social, { email: values.email!, nickname: values.nickname, password });
      // An existing account needs no password; a new one asks for it when none was given.
      const { user, created } = await admin(process.env.ADMIN_PASSWORD || undefined).catch(async (err) => {
        const needsPassword = err instanceof GraphQLError && err.extensions.field === 'password';
        if (!needsPassword || !process.stdin.isTTY) throw err;
        return admin(await askPassword());
      });
      // Other services learn of a new account from its event: let it arrive before exiting.
      await waitUntilSettled([...services.values()], backend.queues, 30_000);
      console.log(
        `${created ? 'Created' : 'Promoted'} admin ${user.email} (${user.nickname}, id ${user.id}).`,
      );
      return 0;
    } finally {
      await stop();
    }
  } finally {
    await backend.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    if (err instanceof GraphQLError || err instanceof ConfigError || err instanceof UnavailableError) {
      console.error(`create-admin: ${err.message}`);
      process.exitCode = 1;
    } else throw err;
  },
);
