import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBlobName, decodeMetaName, encodeBlobName, encodeMetaName, isAzureMetaName } from './azure-names.js';

describe('azure names', () => {
  it('stores ordinary names unchanged', () => {
    for (const n of ['a/b/c.txt', 'café/日本語 file', '.hidden/x', '50% #1 ?&=+', "quote'\"", 'dir/', '', 'a.b/c.d']) {
      assert.equal(encodeBlobName(n), n, n);
      assert.equal(decodeBlobName(n), n, n);
    }
  });

  it('encodes what Azure alters, segment by segment, and decodes it exactly', () => {
    assert.equal(encodeBlobName('back\\slash'), 'back\uFF3Cslash');
    assert.equal(encodeBlobName('dir./file.'), 'dir\uFF0E/file\uFF0E');
    assert.equal(encodeBlobName('dir./'), 'dir\uFF0E/', 'a directory prefix is the prefix of its children');
    assert.equal(encodeBlobName('tab\tx\x7f'), 'tab\u2409x\u2421');
    const tricky = ['back\\slash', 'x.', 'a./b./c.', 'look\uFF3Calike', '\u201Bquote', '\u201B', 'full\uFF0Estop', '\u2409sym', 'ctl\x01\x1f', 'del\x7f', '..x.', '\u201B\uFF3C\\'];
    for (const n of tricky) {
      const enc = encodeBlobName(n);
      assert.ok(!enc.includes('\\') && !/\.(\/|$)/.test(enc) && !/[\x00-\x1f\x7f]/.test(enc), `${JSON.stringify(n)} → ${JSON.stringify(enc)}`);
      assert.equal(decodeBlobName(enc), n, JSON.stringify(n));
    }
  });

  it('metadata names become C# identifiers and come back', () => {
    for (const n of ['owner', 'x-note', 'a_b', '_lead', '1st', 'a.b~c', 'dash-_-mix', 'x2']) {
      const enc = encodeMetaName(n);
      assert.ok(isAzureMetaName(enc), `${n} → ${enc}`);
      assert.equal(decodeMetaName(enc), n, n);
    }
    assert.equal(encodeMetaName('owner'), 'owner', 'plain names unchanged');
    assert.equal(decodeMetaName('Author'), 'Author', 'names of other tools kept');
    assert.equal(decodeMetaName('my_key'), 'my_key', 'a name that does not decode is kept as it is');
  });
});
