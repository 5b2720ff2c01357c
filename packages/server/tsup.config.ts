import { packageBuild } from '../../tsup.base';

// cli.ts keeps its shebang; package.json's `bin` points at dist/cli.cjs.
export default packageBuild({
  entry: ['src/index.ts', 'src/cli.ts'],
  dts: { entry: 'src/index.ts' },
  shims: true,
});
