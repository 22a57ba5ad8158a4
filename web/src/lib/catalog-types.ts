/**
 * What is stored, as the API describes it: folder entries, catalog files and the statistics facets,
 * taken from the types generated from openapi/barge.json (src/api/openapi/types.ts, type-only, so
 * nothing of the server reaches the bundle). A field renamed in the contract breaks the console's
 * build instead of its pages. The generated fields are all optional (readOnly in the schema); the
 * flat shapes the console reads whole are made Required here, nested facets are read with `?? 0`.
 */
import type { components } from '../../../src/api/openapi/types';

type Schemas = components['schemas'];

export type BrowseEntry = Required<Schemas['browse_entry']>;
export type BrowsePage = Required<Omit<Schemas['browse_page'], 'files'>> & { files: BrowseEntry[] };
export type CatalogFile = Required<Schemas['catalog_file']>;

export type FileFacet = Schemas['file_facet'];
export type ByDateFacet = Schemas['by_date_facet'];
export type BySizeFacet = Schemas['by_size_facet'];
export type ByExtensionFacet = Schemas['by_file_extension_facet'];
export type ByOwnerFacet = Schemas['by_user_owner_facet'];
export type StorageFacet = Schemas['storage_facet'];
export type TaskStatusFacet = Schemas['by_task_status_facet'];
export type TaskWorkflowFacet = Schemas['by_task_workflow_facet'];

/** The age buckets of a by_date_facet (less_1_week…more_2_years). */
export type AgeKey = Exclude<keyof ByDateFacet, keyof FileFacet>;
/** The size buckets of a by_size_facet (less_100_kb…more_100_gb). */
export type SizeKey = Exclude<keyof BySizeFacet, keyof FileFacet>;
