// Run by pack-smoke.test.ts in the project the tarballs were installed into: each entry point
// loaded as CommonJS (`require`), its export names printed as JSON.
const entries = JSON.parse(process.argv[2]);
const found = {};
for (const entry of entries) found[entry] = Object.keys(require(entry)).sort();
console.log(JSON.stringify(found));
