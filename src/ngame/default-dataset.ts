// The embedded default dataset: FOLDOC-XRef-8K, committed gzip-compressed in data/foldoc-xref-8k
// (provenance and licence in its README.md). `loadDataset()` with no directory loads it, so a
// newcomer can train and evaluate without downloading anything.
import { packagePath } from '../util/package-dir';

export const DEFAULT_DATASET_NAME = 'FOLDOC-XRef-8K';

/** Absolute path of data/foldoc-xref-8k in the package's directory (the repository or the installed package). */
export const DEFAULT_DATASET_DIR = packagePath('data', 'foldoc-xref-8k');

/** The embedded copy holds short texts only; long texts need the full dataset directory. */
export const DEFAULT_DATASET_HAS_LONG_TEXT = false;
