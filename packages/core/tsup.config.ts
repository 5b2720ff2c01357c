import { packageBuild } from '../../tsup.base';

// Two entries: the public API, and `@apilens/core/internal` for the adapters and benchmarks.
export default packageBuild({ entry: ['src/index.ts', 'src/internal.ts'] });
