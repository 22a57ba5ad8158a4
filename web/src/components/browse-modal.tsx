/**
 * The task editor's "Browse…": a dialog over the folder browser, to pick a node path instead of
 * typing it. The folder shown is the dialog's own; "Choose this folder" picks it, a row's Select picks
 * that entry (files too when `files`, for sources). Mounted when opened, so it starts afresh each time.
 */
import { useState } from 'react';
import type { BrowsableKind } from '../lib/browse';
import { FolderBrowser } from './folder-browser';
import { Button, Modal } from './ui';

interface Props {
  kind: BrowsableKind;
  id: string;
  /** The storage's name, in the title. */
  name: string;
  initialPath: string;
  /** Files may be picked too, not only folders. */
  files: boolean;
  onPick: (path: string) => void;
  onClose: () => void;
}

export function BrowseModal({ kind, id, name, initialPath, files, onPick, onClose }: Props) {
  const [path, setPath] = useState(initialPath);
  const pick = (p: string) => {
    onPick(p);
    onClose();
  };
  return (
    <Modal
      title={`Browse ${name}`}
      open
      onClose={onClose}
      className="modal-wide"
      footer={
        <>
          <span className="modal-footer-note mono" title={path}>{path}</span>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={() => pick(path)}>Choose this folder</Button>
        </>
      }
    >
      <FolderBrowser kind={kind} id={id} path={path} onNavigate={setPath} pick={{ files, onPick: pick }} />
    </Modal>
  );
}
