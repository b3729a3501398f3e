// The run directory, one owner: its layout (layout.ts), claiming it and the integrity of what it
// holds (files.ts), its typed log (log.ts), reopening a finished run (saved.ts) and its HNSW graphs (indexes.ts).
export * from './layout';
export * from './files';
export * from './lock';
export * from './dataset';
export * from './log';
export * from './saved';
export * from './indexes';
