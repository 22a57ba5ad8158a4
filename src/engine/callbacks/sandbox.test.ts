/**
 * The callback sandbox on its real thread: what a script can reach (nothing of the host), how it is
 * stopped (time, memory, stack, a built-in loop the interpreter cannot interrupt), and what a caller
 * gets back — a verdict or a sentence per file, never a silent keep or drop.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CALLBACK_LIMITS } from '../../domain/callback.js';
import { Sandbox } from './sandbox.js';

const FILTER = ['filter', 'run'];
const file = (over: Record<string, unknown> = {}) => ({ path: '/a/f.txt', name: 'f.txt', kind: 'file', size: 10, mtime: 0, atime: null, ctime: null, mode: 420, uid: 0, gid: 0, ...over });

/** One script's problem at compile time, in a sandbox of its own. */
async function problemOf(code: string, entries = FILTER) {
  const { sandbox, problems } = await Sandbox.open([{ key: 's', code, entries }]);
  await sandbox.close();
  return problems.get('s');
}

/** One filter call's verdict. */
async function verdictOf(code: string, f = file(), limits = CALLBACK_LIMITS) {
  const { sandbox, problems } = await Sandbox.open([{ key: 's', code, entries: FILTER }], limits);
  try {
    assert.equal(problems.size, 0, JSON.stringify([...problems]));
    return (await sandbox.filter('s', [f]))[0];
  } finally {
    await sandbox.close();
  }
}

describe('callback sandbox', () => {
  it('keeps and leaves out files as the filter says, and accepts run() for a filter', async () => {
    const { sandbox, problems } = await Sandbox.open([
      { key: 'f', code: 'function filter(file) { return file.size > 100 && file.name.endsWith(".txt"); }', entries: FILTER },
      { key: 'r', code: 'function run(file) { return file.kind === "folder"; }', entries: FILTER },
    ]);
    try {
      assert.equal(problems.size, 0);
      assert.deepEqual(await sandbox.filter('f', [file({ size: 101 }), file({ size: 100 }), file({ size: 500, name: 'x.bin' })]), [1, 0, 0]);
      assert.deepEqual(await sandbox.filter('r', [file({ kind: 'folder' }), file()]), [1, 0]);
    } finally {
      await sandbox.close();
    }
  });

  it('reports a syntax error with its line, and a script without its entry function', async () => {
    assert.deepEqual(await problemOf('function filter(file) {\n  return file.size >\n}\n'), { message: "SyntaxError: unexpected token in expression: '}'", line: 3 });
    assert.match((await problemOf('var x = 1;', ['run']))?.message ?? '', /does not define function run\(input\)/);
    assert.match((await problemOf('function filter(f) { return true }', ['run']))?.message ?? '', /function run/);
    assert.equal(await problemOf('function run(input) { return 1 }', ['run']), undefined);
  });

  it('has no require, process, fetch or other host objects', async () => {
    for (const [expr, name] of [['require("fs")', 'require'], ['process.exit(1)', 'process'], ['fetch("http://127.0.0.1/")', 'fetch'], ['setTimeout(() => 0, 1)', 'setTimeout'], ['console.log(1)', 'console']]) {
      const v = await verdictOf(`function filter(file) { ${expr}; return true; }`);
      assert.equal(v, `ReferenceError: '${name}' is not defined (line 1)`, expr);
    }
    // Nor at the top level, nor through the global object or a module import.
    assert.match((await problemOf('require("child_process")'))?.message ?? '', /'require' is not defined/);
    assert.equal(await verdictOf('function filter(f) { return typeof globalThis.process === "undefined" && typeof globalThis.require === "undefined" && typeof std === "undefined" && typeof os === "undefined"; }'), 1);
    assert.equal((await problemOf('import fs from "fs";\nfunction filter(f) { return true }'))?.line, 1);
  });

  it('stops while(true){} after the time budget of a call', async () => {
    const started = Date.now();
    assert.equal(await verdictOf('function filter(file) { while (true) {} }'), `ran out of time (${CALLBACK_LIMITS.callMs} ms per call)`);
    assert.ok(Date.now() - started < 5_000);
    assert.equal((await problemOf('while (true) {}\nfunction filter(f) { return true }'))?.message, `ran out of time (${CALLBACK_LIMITS.loadMs} ms for the top level)`);
  });

  it('stops a huge allocation at the memory limit, and deep recursion at the stack limit', async () => {
    assert.equal(await verdictOf('function filter(file) { var s = file.name.repeat(1 << 26); return s.length > 0; }'), `ran out of memory (${CALLBACK_LIMITS.memoryBytes / 1048576} MiB)`);
    assert.equal(await verdictOf('function filter(file) { return new ArrayBuffer(1e9).byteLength > 0; }'), `ran out of memory (${CALLBACK_LIMITS.memoryBytes / 1048576} MiB)`);
    assert.match(String(await verdictOf('function filter(file) { function f(n) { return f(n + 1) + 1; } return f(0) > 0; }')), /stack overflow/i);
  });

  it('ends the thread of a call stuck in built-ins the interpreter cannot interrupt, and goes on with the batch', async () => {
    const limits = { ...CALLBACK_LIMITS, hardStopMs: 300 };
    const { sandbox, problems } = await Sandbox.open([{
      key: 's', entries: FILTER,
      code: 'var big = new Array(3e5).fill("xxxxxxxx");\nfunction filter(f) { if (f.size === 7) { var t = 0; while (true) t += JSON.stringify(big).length; } return f.size > 1; }',
    }], limits);
    try {
      assert.equal(problems.size, 0);
      const started = Date.now();
      const verdicts = await sandbox.filter('s', [file({ size: 1 }), file({ size: 7 }), file({ size: 2 })]);
      assert.deepEqual(verdicts, [0, 'ran out of time (stopped after 300 ms inside one operation)', 1]);
      assert.ok(Date.now() - started < 10_000);
      // The new thread has the script compiled again.
      assert.deepEqual(await sandbox.filter('s', [file({ size: 5 })]), [1]);
    } finally {
      await sandbox.close();
    }
  });

  it('fails a file whose filter throws or returns something else than true or false', async () => {
    const { sandbox } = await Sandbox.open([{ key: 's', entries: FILTER, code: 'function filter(f) {\n  if (f.size === 1) throw new TypeError("no " + f.name);\n  if (f.size === 2) throw 42;\n  if (f.size === 3) return "yes";\n  return undefined;\n}' }]);
    try {
      assert.deepEqual(await sandbox.filter('s', [file({ size: 1 }), file({ size: 2 }), file({ size: 3 }), file({ size: 4 })]), [
        'TypeError: no f.txt (line 2)', 'threw 42', 'returned a string, not true or false', 'returned undefined, not true or false',
      ]);
    } finally {
      await sandbox.close();
    }
  });

  it('disables a script whose calls keep running out of time', async () => {
    const limits = { ...CALLBACK_LIMITS, callMs: 20, timeoutsBeforeDisable: 3 };
    const { sandbox, problems } = await Sandbox.open([{ key: 's', entries: FILTER, code: 'function filter(f) { if (f.size > 0) for (;;) {} return true; }' }], limits);
    try {
      assert.equal(problems.size, 0, JSON.stringify([...problems]));
      const v = await sandbox.filter('s', [1, 2, 3, 4].map((size) => file({ size })));
      assert.deepEqual(v.slice(0, 3), ['ran out of time (20 ms per call)', 'ran out of time (20 ms per call)', 'ran out of time (20 ms per call)']);
      assert.match(String(v[3]), /^disabled for the rest of the execution: 3 calls in a row ran out of time/);
    } finally {
      await sandbox.close();
    }
  });

  it('runs hooks with plain data and tells a false return from a throw', async () => {
    const { sandbox } = await Sandbox.open([
      { key: 'ok', entries: ['run'], code: 'function run(input) { return input.execution.status === "done" && input.task.name === "t"; }' },
      { key: 'bad', entries: ['run'], code: 'function run(input) {\n  return input.missing.field;\n}' },
    ]);
    try {
      assert.deepEqual(await sandbox.run('ok', { task: { name: 't' }, execution: { status: 'done' } }), { ok: true, returnedFalse: false });
      assert.deepEqual(await sandbox.run('ok', { task: { name: 't' }, execution: { status: 'error' } }), { ok: true, returnedFalse: true });
      assert.deepEqual(await sandbox.run('bad', {}), { ok: false, error: "TypeError: cannot read property 'field' of undefined (line 2)" });
    } finally {
      await sandbox.close();
    }
  });
});

describe('callback sandbox: every script of an execution in one sandbox', () => {
  let sandbox: Sandbox;
  before(async () => {
    ({ sandbox } = await Sandbox.open([
      { key: 'a', entries: FILTER, code: 'var seen = 0; function filter(f) { seen++; return seen % 2 === 1; }' },
      { key: 'b', entries: FILTER, code: 'function filter(f) { return typeof seen === "undefined"; }' },
    ]));
  });
  after(async () => sandbox.close());

  it('keeps state across calls of one script, and scripts apart from each other', async () => {
    assert.deepEqual(await sandbox.filter('a', [file(), file(), file()]), [1, 0, 1]);
    assert.deepEqual(await sandbox.filter('b', [file()]), [1]);
  });
});
