#!/usr/bin/env node
// The `barge` command. Runs the TypeScript sources through tsx, so it works from a clone without a
// build step. `serve`, `dispatcher` and `mover` are wired here (not in src/cli) so the CLI layer only
// ever talks to the API.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2), {
  serve: async () => (await import('../src/main.ts')).serve(),
  dispatcher: async () => (await import('../src/roles.ts')).dispatcherMain(),
  mover: async () => (await import('../src/roles.ts')).moverMain(),
});
process.exitCode = code;
