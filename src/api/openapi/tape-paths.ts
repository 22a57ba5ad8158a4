/**
 * Paths of tape (issue #12), with Nodeum's operationIds and API-key scopes (`tape_libraries`,
 * `tape_drives`, `tapes`, `tape_stats`). Libraries and drives are admins' (hardware); tapes are seen
 * through the pools a user may read.
 */
import { ERRORS, LIST_PARAMS, filterParams, jsonBody, jsonResponse, op, pathParam, ref } from './helpers.js';

type Json = Record<string, unknown>;

const LIBRARY_FILTERS = ['id', 'name', 'type', 'tape_type', 'status', 'slots', 'drives', 'mailslots', 'capacity_bytes', 'created_at', 'updated_at'];
const DRIVE_FILTERS = ['id', 'tape_library_id', 'name', 'serial', 'status', 'index', 'barcode', 'task_id', 'execution_id', 'mount_count', 'bandwidth', 'created_at', 'updated_at'];
const TAPE_FILTERS = [
  'id', 'tape_library_id', 'pool_id', 'tape_pool_id', 'barcode', 'location', 'location_index', 'type', 'locked', 'scratch', 'cleaning', 'write_protect',
  'mounted', 'ejected', 'mount_count', 'date_in', 'date_move', 'free', 'max', 'used', 'hash', 'secondary_of', 'sessions', 'last_size_update', 'created_at', 'updated_at',
];

const libraryId = pathParam('tape_library_id');
const driveId = pathParam('tape_drive_id');
const tapeId = pathParam('tape_id');
const poolId = pathParam('pool_id');

const ADMIN = 'Admins only (403 otherwise).';
const TAPE_SCOPE = 'Admins see every tape; other users the tapes of pools they may read (others are a 404).';

function list(operationId: string, summary: string, scope: [string, string], schema: string, filters: string[], parents: Json[], description: string): Json {
  return op({
    operationId, summary, tags: ['tapes'], scope, description, parameters: [...parents, ...LIST_PARAMS, ...filterParams(filters)],
    responses: { '200': jsonResponse(summary, ref(schema)), ...ERRORS },
  });
}

function show(operationId: string, summary: string, scope: [string, string], schema: string, params: Json[], description: string): Json {
  return op({ operationId, summary, tags: ['tapes'], scope, description, parameters: params, responses: { '200': jsonResponse(summary, ref(schema)), ...ERRORS } });
}

export const TAPE_PATHS: Record<string, Json> = {
  '/tape_libraries': {
    get: list('index_tape_libraries', 'Lists tape libraries.', ['tape_libraries', 'index'], 'tape_library_collection', LIBRARY_FILTERS, [], ADMIN),
    post: op({
      operationId: 'create_tape_library', summary: 'Creates a (virtual) tape library.', tags: ['tapes'], scope: ['tape_libraries', 'create'],
      description: `${ADMIN} Creates the library's directory under \`path\` — one blank cartridge file per tape (\`<path>/cartridges/<barcode>.tar\`, a pax tar archive), the changer's state in \`library.json\` — and its drives and tapes. \`path\` must be absolute, inside a root of BARGE_TAPE_ROOTS, and new or empty (422 on \`path\` with \`reason\` path_not_allowed or path_not_empty).`,
      requestBody: jsonBody(ref('tape_library')),
      responses: { '201': jsonResponse('The new library.', ref('tape_library')), ...ERRORS },
    }),
  },
  '/tape_libraries/{tape_library_id}': {
    get: show('show_tape_library', 'Displays a tape library.', ['tape_libraries', 'show'], 'tape_library', [libraryId], ADMIN),
    delete: op({
      operationId: 'destroy_tape_library', summary: 'Destroys a tape library.', tags: ['tapes'], scope: ['tape_libraries', 'destroy'],
      description: `${ADMIN} Removes the library, its drives and tapes, and its files. Refused (422 \`restrict_dependent_destroy\`) while a tape holds data or a drive is in use: format or move the data first.`,
      parameters: [libraryId], responses: { '204': { description: 'Destroyed.' }, ...ERRORS },
    }),
  },
  '/tape_libraries/{tape_library_id}/eject': {
    post: op({
      operationId: 'eject_tapes_by_tape_library', summary: 'Ejects cartridges from a library (Barge addition).', tags: ['tapes'], scope: ['tape_libraries', 'eject'],
      description: `${ADMIN} The robot takes each cartridge of \`barcodes\` from its slot to a mailslot, then it leaves the library: \`ejected: true\`, \`location: offline\`; it is never loaded or written again. Nodeum does this with the \`ejection\` workflow action. Every barcode is checked before anything moves: unknown barcodes and cartridges in a drive are a 422 on \`barcodes\` (\`not_found\`; \`invalid\` with \`reason: in_drive\`); a move the changer refuses (every mailslot taken) is a 422 with the changer's \`reason\`, the cartridges moved before it staying ejected. Cartridges already offline are left as they are.`,
      parameters: [libraryId], requestBody: jsonBody(ref('tape_eject')),
      responses: { '200': jsonResponse('The tapes, ejected.', ref('tape_collection')), ...ERRORS },
    }),
  },
  '/tape_libraries/{tape_library_id}/import': {
    post: op({
      operationId: 'import_tapes_by_tape_library', summary: 'Imports ejected cartridges back into a library (Barge addition).', tags: ['tapes'], scope: ['tape_libraries', 'import'],
      description: `${ADMIN} The reverse of eject: the operator puts each cartridge of \`barcodes\` in the mailslot and the robot takes it to its home slot, or the first free one: \`location: slot\`, \`ejected: false\`; it may be loaded and written again, with its pool, sessions and catalog as they were. Every barcode is checked before anything moves: unknown barcodes are a 422 on \`barcodes\` (\`not_found\`); a move the changer refuses (every slot taken) is a 422 with the changer's \`reason\`, the cartridges moved before it staying imported. Cartridges already in the library (a slot or a drive) are left as they are.`,
      parameters: [libraryId], requestBody: jsonBody(ref('tape_import')),
      responses: { '200': jsonResponse('The tapes, imported.', ref('tape_collection')), ...ERRORS },
    }),
  },
  '/tape_libraries/{tape_library_id}/tape_drives': {
    get: list('index_tape_drives_by_tape_library', 'Lists the drives of a library.', ['tape_drives', 'index'], 'tape_drive_collection', DRIVE_FILTERS, [libraryId], ADMIN),
  },
  '/tape_libraries/{tape_library_id}/tape_drives/{tape_drive_id}': {
    get: show('show_tape_drive_by_tape_library', 'Displays a drive of a library.', ['tape_drives', 'show'], 'tape_drive', [libraryId, driveId], ADMIN),
  },
  '/tape_drives': {
    get: list('index_tape_drives', 'Lists tape drives.', ['tape_drives', 'index'], 'tape_drive_collection', DRIVE_FILTERS, [], `${ADMIN} Each drive names the cartridge it holds (\`barcode\`) and the execution using it (\`execution_id\`, \`task_id\`).`),
  },
  '/tape_drives/{tape_drive_id}': {
    get: show('show_tape_drive', 'Displays a tape drive.', ['tape_drives', 'show'], 'tape_drive', [driveId], ADMIN),
  },
  '/tapes': {
    get: list('index_tapes', 'Lists tapes.', ['tapes', 'index'], 'tape_collection', TAPE_FILTERS, [], TAPE_SCOPE),
  },
  '/tapes/{tape_id}': {
    get: show('show_tape', 'Displays a tape.', ['tapes', 'show'], 'tape', [tapeId], TAPE_SCOPE),
    put: op({
      operationId: 'update_tape', summary: 'Updates a tape (partial).', tags: ['tapes'], scope: ['tapes', 'update'],
      description: 'Admins only. `pool_id` (a pool of content tape, or null), `locked`, `write_protect` (sets the cartridge\'s tab: its file refuses writes from then on). Other attributes are read-only and ignored.',
      parameters: [tapeId], requestBody: jsonBody(ref('tape')),
      responses: { '200': jsonResponse('The tape.', ref('tape')), ...ERRORS },
    }),
  },
  '/tapes/{tape_id}/mount': {
    get: show('mount_status_tape', 'Where a tape is.', ['tapes', 'mount_status'], 'tape_mount_status', [tapeId], `${TAPE_SCOPE} In a slot, a drive (\`tape_drive_id\`), a mailslot, or offline (ejected).`),
  },
  '/tapes/{tape_id}/tape_stat': {
    get: show('show_tape_stat', 'Displays a tape\'s counters.', ['tape_stats', 'show'], 'tape_stat', [tapeId], TAPE_SCOPE),
  },
  '/tape_libraries/{tape_library_id}/tapes': {
    get: list('index_tapes_by_tape_library', 'Lists the tapes of a library.', ['tapes', 'index'], 'tape_collection', TAPE_FILTERS, [libraryId], ADMIN),
  },
  '/pools/{pool_id}/tapes': {
    get: list('index_tapes_by_pool', 'Lists the tapes of a pool.', ['tapes', 'index'], 'tape_collection', TAPE_FILTERS, [poolId], 'Anyone who may read the pool (404 otherwise).'),
    post: op({
      operationId: 'add_tape_to_pool', summary: 'Puts a tape in a pool.', tags: ['tapes'], scope: ['tapes', 'update'],
      description: 'Admins only. The pool must be of content tape (422 otherwise); the tape is named by `tape_id` or `barcode`. The same as `PUT /tapes/{id}` with `pool_id`.',
      parameters: [poolId], requestBody: jsonBody(ref('pool_tape')),
      responses: { '201': jsonResponse('The tape, in the pool.', ref('tape')), ...ERRORS },
    }),
  },
  '/tape_stats': {
    get: list('index_tape_stats', 'Lists tapes\' counters.', ['tape_stats', 'index'], 'tape_stat_collection', TAPE_FILTERS, [], TAPE_SCOPE),
  },
};
