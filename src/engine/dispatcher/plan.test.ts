import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commonParent, comparePositions, destinationPath, isAncestor, renamed } from './plan.js';

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
