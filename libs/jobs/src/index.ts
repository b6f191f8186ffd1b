export { JobsModule } from './jobs.module.js';
export { JobsService } from './jobs.service.js';
export type { JobDefinition, JobsOptions } from './jobs.service.js';
