// Placeholder for npm scripts whose feature lands in a later issue: says so and fails.
const script = process.argv[2] ?? 'this script';
console.error(`chartsync: \`npm run ${script}\` is not built yet (see the open issues).`);
process.exit(1);
