/**
 * Checks a script before it is stored (the API's create/update of a callback): compiled and its top
 * level run in a sandbox of its own, under the same limits as at run time, so a syntax error (with its
 * line), a throw at the top level or a missing `filter`/`run` is a 422 then, not a failed execution
 * later. One check at a time per process: each starts a sandbox thread, and a burst of requests must
 * not start a thread each.
 */
import { entryPoints, type ScriptProblem, type ScriptType } from '../../domain/callback.js';
import { Sandbox } from './sandbox.js';

export class ScriptChecker {
  private queue: Promise<unknown> = Promise.resolve();

  check(type: ScriptType, script: string): Promise<ScriptProblem | undefined> {
    const next = this.queue.then(async () => {
      const { sandbox, problems } = await Sandbox.open([{ key: 'check', code: script, entries: entryPoints(type) }]);
      await sandbox.close();
      return problems.get('check');
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
