/** The head of BENCHMARKS.md, written when the file does not exist yet. */
export const BENCHMARKS_HEADER = `# Benchmarks

Run with \`npm run bench\` (all scenarios) or \`npm run bench -- <scenario>\`; each run appends its
section below. Options: \`--rounds 3 --duration 10 --warmup 3 --connections 16 --products 600
--targets a,b --no-external --no-record\`.
`;
