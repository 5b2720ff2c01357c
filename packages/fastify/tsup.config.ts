import { packageBuild } from '../../tsup.base';

// Two entries: the public API, and `./internal` (the recording code @apilens/nestjs reuses).
export default packageBuild({ entry: ['src/index.ts', 'src/internal.ts'] });
