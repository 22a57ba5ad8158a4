/** Routes of what is stored: browsing a share or bucket, searching the catalog, the statistics. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrowsableResource, BrowseService } from '../../services/browse-service.js';
import type { CatalogService } from '../../services/catalog-service.js';
import type { StatisticsService } from '../../services/statistics-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';
import { clientGone } from './client-gone.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

function browse(service: BrowseService, resource: BrowsableResource, param: string): Handler {
  return (async (req: Req, reply: FastifyReply) => service.list(principalOf(req), resource, req.params[param] as string, req.query, clientGone(reply))) as Handler;
}

export function catalogHandlers(browser: BrowseService, catalog: CatalogService, statistics: StatisticsService): Record<string, Handler> {
  return {
    browse_nas_share_files: browse(browser, 'nas_shares', 'nas_share_id'),
    browse_cloud_bucket_files: browse(browser, 'cloud_buckets', 'cloud_bucket_id'),
    index_files: (async (req: Req) => catalog.search(principalOf(req), req.query)) as Handler,
    statistics_by_date: (async (req: Req) => statistics.byDate(principalOf(req), req.query)) as Handler,
    statistics_by_size: (async (req: Req) => statistics.bySize(principalOf(req), req.query)) as Handler,
    statistics_by_file_extension: (async (req: Req) => statistics.byFileExtension(principalOf(req), req.query)) as Handler,
    statistics_by_user_owner: (async (req: Req) => statistics.byUserOwner(principalOf(req), req.query)) as Handler,
    statistics_storage: (async (req: Req) => statistics.storage(principalOf(req), req.query)) as Handler,
    statistics_task_by_status: (async (req: Req) => statistics.taskByStatus(principalOf(req), req.query)) as Handler,
    statistics_task_by_workflow: (async (req: Req) => statistics.taskByWorkflow(principalOf(req), req.query)) as Handler,
  };
}
