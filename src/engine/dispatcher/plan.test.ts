import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baseName, commonParent, comparePositions, destinationPath, isAncestor, joinPath, parentOf, renamed } from './plan.js';

describe('planning rules', () => {
  it('recreates source paths under the destination (nodeum-api.md "Where files land")', () => {
    assert.equal(destinationPath('/projects/a/f.txt', '/archive', '/'), '/archive/projects/a/f.txt');
    assert.equal(destinationPath('/x.txt', '/', '/'), '/x.txt');
    assert.equal(destinationPath('/projects/a/f.txt', '/archive', '/projects'), '/archive/a/f.txt');
    assert.equal(destinationPath('/projects/b/x.dat', '/archive/', commonParent(['/projects/a', '/projects/b/x.dat'])), '/archive/b/x.dat');
  });

  it('finds the common parent of the sources', () => {
    assert.equal(commonParent(['/projects/a', '/projects/b/x.dat']), '/projects');
    assert.equal(commonParent(['/projects/a']), '/projects');
    assert.equal(commonParent(['/a/b', '/c/d']), '/');
    assert.equal(commonParent(['/']), '/');
  });

  it('renames before the extension', () => {
    assert.equal(renamed('report.pdf', 1), 'report (1).pdf');
    assert.equal(renamed('archive.tar.gz', 2), 'archive.tar (2).gz');
    assert.equal(renamed('README', 1), 'README (1)');
    assert.equal(renamed('.bashrc', 3), '.bashrc (3)');
  });

  it('orders walk positions depth-first, asc or dsc', () => {
    const p = (ep: number, np: number, ...path: string[]) => ({ ep, np, path });
    const walk = [p(0, 0), p(0, 0, 'a'), p(0, 0, 'a', 'x'), p(0, 0, 'a', 'y'), p(0, 0, 'b'), p(0, 1, 'a'), p(1, 0)];
    for (let i = 0; i + 1 < walk.length; i++) assert.ok(comparePositions(walk[i]!, walk[i + 1]!, 'asc') < 0, `${i}`);
    assert.ok(comparePositions(p(0, 0, 'b'), p(0, 0, 'a', 'z'), 'dsc') < 0);
    assert.equal(comparePositions(p(0, 0, 'a'), p(0, 0, 'a'), 'asc'), 0);
    assert.ok(isAncestor(p(0, 0, 'a'), p(0, 0, 'a', 'x')));
    assert.ok(!isAncestor(p(0, 0, 'a', 'x'), p(0, 0, 'a')));
    assert.ok(!isAncestor(p(0, 0, 'a'), p(0, 1, 'a', 'x')));
  });
});

describe('path helpers: string fast paths agree with the segment rules', () => {
  // The rules as they were written first (arrays of segments): the reference.
  const segs = (p: string) => p.split('/').filter((s) => s !== '' && s !== '.');
  const join = (...parts: string[]) => '/' + parts.flatMap(segs).join('/');
  const parent = (p: string) => '/' + segs(p).slice(0, -1).join('/');
  const base = (p: string) => segs(p).at(-1) ?? '';
  const dest = (src: string, b: string, strip: string) => {
    const s = segs(src);
    const p = segs(strip);
    return join(b, ...(p.every((seg, i) => s[i] === seg) ? s.slice(p.length) : s));
  };

  it('joinPath, parentOf, baseName and destinationPath give the same paths on odd and ordinary inputs', () => {
    let seed = 14;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = ['a', 'b', 'ab', '.', '..', '.h', 'x.txt', '', ' ', 'é', 'a b'];
    const path = () => {
      const n = rand(5);
      let p = rand(4) === 0 ? '' : '/';
      for (let i = 0; i < n; i++) p += (i > 0 ? (rand(6) === 0 ? '//' : '/') : '') + (pieces[rand(pieces.length)] as string);
      return rand(6) === 0 ? `${p}/` : p;
    };
    for (let i = 0; i < 5000; i++) {
      const [p, q, r] = [path(), path(), path()];
      assert.equal(joinPath(p, q), join(p, q), `joinPath(${JSON.stringify(p)}, ${JSON.stringify(q)})`);
      assert.equal(joinPath(p), join(p), `joinPath(${JSON.stringify(p)})`);
      assert.equal(parentOf(p), parent(p), `parentOf(${JSON.stringify(p)})`);
      assert.equal(baseName(p), base(p), `baseName(${JSON.stringify(p)})`);
      assert.equal(destinationPath(p, q, r), dest(p, q, r), `destinationPath(${JSON.stringify([p, q, r])})`);
      assert.equal(destinationPath(p, q, parent(p)), dest(p, q, parent(p)));
    }
  });
});
